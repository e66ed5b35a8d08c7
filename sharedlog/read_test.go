package sharedlog

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadWholeEnvironmentInOrder(t *testing.T) {
	dbURL, pool := migrated(t)
	staging, production := machine(t, "staging"), machine(t, "production")
	for i := range 3 {
		appendMessages(t, staging, fmt.Sprintf("staging %d", i))
		appendMessages(t, production, fmt.Sprintf("production %d", i))
	}
	for _, p := range []*Publisher{newPublisher(t, pool, staging, "staging"), newPublisher(t, pool, production, "production")} {
		start(t, p)
		flush(t, p)
	}
	wantMessages(t, sharedMessages(t, dbURL, "staging"), "staging 0", "staging 1", "staging 2")
	wantMessages(t, sharedMessages(t, dbURL, "production"), "production 0", "production 1", "production 2")
	if got := sharedMessages(t, dbURL, "nowhere"); len(got) != 0 {
		t.Fatalf("Read of an environment nobody published = %q", got)
	}
}

func TestReadPagesThroughALongTimeline(t *testing.T) {
	dbURL, pool := migrated(t)
	const n = pageSize*2 + 7
	if _, err := pool.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
		SELECT 'bulk', 'BULK', g, jsonb_build_object('kind', 'progress', 'message', g::text)
		FROM generate_series(0, $1 - 1) g ORDER BY g`, n); err != nil {
		t.Fatal(err)
	}
	got := sharedMessages(t, dbURL, "bulk")
	if len(got) != n {
		t.Fatalf("Read returned %d records, want %d", len(got), n)
	}
	for i, m := range got {
		if m != fmt.Sprint(i) {
			t.Fatalf("record %d has message %q: out of order", i, m)
		}
	}
}

// A row anyone with INSERT wrote is outside text: cleaned like the local
// journal, unverified (no team key signed it) and so cut to one line, and a
// huge row or one that is no record costs a line saying so, never its bytes.
func TestReadCleansHostileRowsAndHugeOnesCostALine(t *testing.T) {
	dbURL, pool := migrated(t)
	rows := []string{
		`{"kind":"progress","message":"first"}`,
		`{"kind":"outcome","step":"S1\u001b[2J\u001b]0;pwned\u0007","message":"line 1\nline 2\u001b[31m red","argv":["rm","-rf\u202e"]}`,
		`{"kind":"progress","message":"` + strings.Repeat("x", MaxRecordBytes) + `"}`,
		`{"message":"no kind"}`,
		`[1,2,3]`,
		`{"kind":"progress","message":"` + strings.Repeat("y", MaxRecordBytes/2) + `"}`,
		`{"kind":"progress","message":"last"}`,
	}
	for i, r := range rows {
		if _, err := pool.Exec(t.Context(), sqlInsert, "staging", "HOSTILE", i, r); err != nil {
			t.Fatalf("inserting row %d: %v", i, err)
		}
	}
	recs, err := Read(t.Context(), dbURL, "staging", Trust{})
	if err != nil {
		t.Fatal(err)
	}
	wantMessages(t, messages(recs), "first", "line 1⏎line 2 red", "row 3: too large (1048611 bytes, over 1048576)",
		"row 4: not a journal record", "row 5: not a journal record", strings.Repeat("y", unverifiedTextRunes-1)+"…", "last")
	hostile := recs[1]
	if hostile.Step != "S1" || hostile.Argv != nil {
		t.Errorf("Step = %q, argv %q: want the escapes gone, and no argv on an unverified line", hostile.Step, hostile.Argv)
	}
	for i, r := range recs {
		if r.Shared == nil || r.Shared.Verified || r.Shared.Origin != "HOSTILE" || r.Shared.Problem == "" {
			t.Errorf("row %d: provenance %+v, want unverified from origin HOSTILE with a reason", i, r.Shared)
		}
	}
}
