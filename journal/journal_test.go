package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordsSurviveReopen(t *testing.T) {
	path := Path(t.TempDir(), "staging")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	j.SetDefaults("staging", "alice", "host1", "abc123")
	ok := true
	at := time.Date(2026, 3, 1, 14, 2, 55, 0, time.UTC)
	if err := j.Append(Record{Time: at, Kind: KindIntent, Step: "S1", Argv: []string{"gcloud", "run"}}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j2.Append(Record{Kind: KindOutcome, Step: "S1", OK: &ok, Env: "staging"}); err != nil {
		t.Fatal(err)
	}
	_ = j2.Close()

	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	first := recs[0]
	if !first.Time.Equal(at) || first.Operator != "alice" || first.Host != "host1" || first.ConfigHash != "abc123" || first.Env != "staging" {
		t.Errorf("first record lost its stamp: %+v", first)
	}
	if strings.Join(first.Argv, " ") != "gcloud run" {
		t.Errorf("argv = %q", first.Argv)
	}
	if recs[1].Kind != KindOutcome || recs[1].OK == nil || !*recs[1].OK || recs[1].Time.IsZero() {
		t.Errorf("second record = %+v", recs[1])
	}
	if recs[1].Operator != "" {
		t.Errorf("a reopened journal without defaults stamped operator %q", recs[1].Operator)
	}
}

func TestFileIsPrivateAndAppendAfterCloseFails(t *testing.T) {
	path := Path(t.TempDir(), "production")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode = %v, want 0600 (it names operators and argv)", st.Mode().Perm())
	}
	if err := j.Append(Record{Kind: KindVerdict}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
}

func TestConcurrentAppendsStayWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.Close() }()
	const writers, each = 8, 25
	long := strings.Repeat("x", 4096) // longer than a pipe buffer's atomic write
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := j.Append(Record{Kind: KindProgress, Step: fmt.Sprintf("w%d-%d", w, i), Message: long}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != writers*each {
		t.Fatalf("got %d records, want %d", len(recs), writers*each)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Message != long {
			t.Fatalf("record %s was interleaved", r.Step)
		}
		seen[r.Step] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct records, want %d", len(seen), writers*each)
	}
}

func TestTornLastLineIsReportedAndEarlierRecordsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"S1", "S2"} {
		if err := j.Append(Record{Kind: KindIntent, Step: s}); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Close()
	// A process killed mid-write leaves half a line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"time":"2026-03-01T14:00:00Z","kind":"outc`)
	_ = f.Close()

	recs, err := Read(path)
	var ce *CorruptError
	if !errors.As(err, &ce) || len(ce.Lines) != 1 || ce.Lines[0] != 3 {
		t.Fatalf("err = %v, want a CorruptError naming line 3", err)
	}
	if len(recs) != 2 || recs[0].Step != "S1" || recs[1].Step != "S2" {
		t.Fatalf("records = %+v, want S1 and S2", recs)
	}

	// The next session's first record must not be glued to the torn line.
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Kind: KindSession, Message: "restarted"}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	recs, err = Read(path)
	if !errors.As(err, &ce) || len(ce.Lines) != 1 {
		t.Fatalf("err = %v, want only the torn line reported", err)
	}
	if len(recs) != 3 || recs[2].Message != "restarted" {
		t.Fatalf("records after reopen = %+v", recs)
	}
}

func TestReadMissingFileIsEmptyHistory(t *testing.T) {
	recs, err := Read(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(recs) != 0 {
		t.Fatalf("Read(missing) = %v, %v", recs, err)
	}
}

func TestSecretsNeverReachTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	j.AddSecrets("s3cr3t-signing-key", "")
	err = j.Append(Record{
		Kind:     KindOutcome,
		Message:  "connecting to postgres://cockpit:hunter2@db.internal:5432/runtime failed",
		Evidence: "signed with s3cr3t-signing-key; Authorization: Bearer ya29.a0AfH6SMBx-token_value",
		Argv:     []string{"psql", "postgresql://admin:pa55@10.0.0.1/db"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"hunter2", "s3cr3t-signing-key", "ya29.a0AfH6SMBx-token_value", "pa55"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("journal contains %q:\n%s", leak, raw)
		}
	}
	for _, kept := range []string{"cockpit:[REDACTED]@db.internal:5432", "admin:[REDACTED]@10.0.0.1", "Bearer [REDACTED]"} {
		if !strings.Contains(string(raw), kept) {
			t.Errorf("journal lost the non-secret context %q:\n%s", kept, raw)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:9090/api/v1/query", "http://127.0.0.1:9090/api/v1/query"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"x-oa-runtime-signature: v1.eyJpYXQiOjE3MDAwMDAwMDB9.AbCdEfGhIjKlMnOpQrStUvWxYz012345", "x-oa-runtime-signature: " + Redacted},
		{"mode=rust_active", "mode=rust_active"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Redact("token abc", "abc"); got != "token "+Redacted {
		t.Errorf("named secret not redacted: %q", got)
	}
}
