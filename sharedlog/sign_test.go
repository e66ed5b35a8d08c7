package sharedlog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/journal"
)

// signingPublisher publishes j signed as alice, with her key in stateDir.
func signingPublisher(t *testing.T, j *journal.Journal, stateDir string) (*Publisher, string) {
	t.Helper()
	_, pool := migrated(t)
	p := newPublisher(t, pool, j, "staging")
	if err := p.SignAs(stateDir, "alice"); err != nil {
		t.Fatal(err)
	}
	k, err := signing.Load(stateDir, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	return p, k.Public()
}

func trusting(t *testing.T, keys map[string]string) Trust {
	t.Helper()
	ring, err := signing.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return Trust{Keys: ring, MaxSkew: 5 * time.Second}
}

func provenance(recs []journal.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Message + ": unverified"
		if r.Shared.Verified {
			out[i] = r.Message + ": verified"
		} else if r.Shared.Problem != "" {
			out[i] += " (" + r.Shared.Problem + ")"
		}
	}
	return out
}

// A record alice's cockpit signed is verified by readers that list her
// key; without it, altered, moved to another row or naming another
// operator, it is delivered unverified, saying why.
func TestSignedRecordsAreVerifiedOnlyAgainstTheTeamsKeys(t *testing.T) {
	j := machine(t, "staging")
	appendMessages(t, j, "one", "two")
	p, alice := signingPublisher(t, j, t.TempDir())
	start(t, p)
	flush(t, p)
	dbURL := p.pool.Config().ConnString()
	recs, err := Read(t.Context(), dbURL, "staging", trusting(t, map[string]string{"alice": alice}))
	if err != nil {
		t.Fatal(err)
	}
	wantMessages(t, provenance(recs), "one: verified", "two: verified")
	if o := recs[0].Shared.Origin; o != originOf(t, j) {
		t.Errorf("origin %q, want the journal's %q", o, originOf(t, j))
	}
	mallory, _ := signing.Load(t.TempDir(), "mallory", true)
	recs, _ = Read(t.Context(), dbURL, "staging", trusting(t, map[string]string{"mallory": mallory.Public()}))
	if got := provenance(recs); !strings.Contains(got[0], "unverified (signed by a key not in team_keys") {
		t.Errorf("alice's records read with only mallory's key listed: %q", got)
	}

	// Forgeries by SQL: the first row altered, the second copied to
	// another row, and a row alice's key signed that names bob.
	if _, err := p.pool.Exec(t.Context(), `UPDATE cockpit_journal SET record = jsonb_set(record, '{message}', '"S4 done"') WHERE origin_offset = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.pool.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
		SELECT env, 'COPY', 7, record FROM cockpit_journal WHERE origin_offset = 1`); err != nil {
		t.Fatal(err)
	}
	bob := journal.Record{Time: time.Now(), Kind: journal.KindProgress, Operator: "bob", Message: "as bob"}
	s := &signers{keys: map[string]*signing.Signer{"bob": p.sign.keys["alice"]}}
	row, _ := s.seal("staging", "BOB", 0, bob)
	if _, err := p.pool.Exec(t.Context(), sqlInsert, "staging", "BOB", 0, row); err != nil {
		t.Fatal(err)
	}
	recs, _ = Read(t.Context(), dbURL, "staging", trusting(t, map[string]string{"alice": alice}))
	wantMessages(t, provenance(recs), "S4 done: unverified (signature does not match the record (altered after signing?))",
		"two: verified", "two: unverified (signature does not match the record (altered after signing?))",
		`as bob: unverified (signed with alice's key but names operator "bob")`)
}

// A record signed by a listed key but dated beyond max_clock_skew after the
// database's clock is refused, whatever the signer's laptop believes.
func TestASignedRecordFromTheFutureIsUnverified(t *testing.T) {
	state := t.TempDir()
	j := machine(t, "staging")
	if err := j.Append(journal.Record{Time: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Kind: journal.KindApproval, Step: "S1", Message: "2099"}); err != nil {
		t.Fatal(err)
	}
	appendMessages(t, j, "now")
	p, alice := signingPublisher(t, j, state)
	start(t, p)
	flush(t, p)
	recs, err := Read(t.Context(), p.pool.Config().ConnString(), "staging", trusting(t, map[string]string{"alice": alice}))
	if err != nil {
		t.Fatal(err)
	}
	got := provenance(recs)
	if len(got) != 2 || !strings.Contains(got[0], "2099: unverified (shared record dated 2099-01-01T00:00:00Z is") ||
		!strings.Contains(got[0], "in the future (clock skew?)") || got[1] != "now: verified" {
		t.Fatalf("a signed 2099 record: %q, want it unverified as in the future", got)
	}
	var stored storedRecord
	if err := p.pool.QueryRow(t.Context(), `SELECT record FROM cockpit_journal WHERE origin_offset = 1`).Scan(&stored); err != nil || stored.Sig == nil {
		t.Fatalf("the stored record carries no signature: %v", err)
	}
	b, _ := json.Marshal(stored)
	if strings.Contains(string(b), `"shared"`) {
		t.Errorf("a reader's provenance was published: %s", b)
	}
}
