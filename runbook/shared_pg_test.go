package runbook

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sharedlog"
)

// publishAs publishes recs to env's shared timeline from a journal of
// their own, signed by operator's key in stateDir, and returns the key.
func publishAs(t *testing.T, pool *pgxpool.Pool, stateDir, operator string, recs ...journal.Record) string {
	t.Helper()
	path := journal.Path(t.TempDir(), "staging")
	appendAll(t, path, recs...)
	p, err := sharedlog.NewPublisher(pool, "staging", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SignAs(stateDir, operator); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	fctx, fcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer fcancel()
	if err := p.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	k, err := signing.Load(stateDir, operator, false)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// writersWithShared is this machine's judgement of two writers, with the
// environment's shared timeline (as trust reads it) in its history.
func writersWithShared(t *testing.T, dbURL string, trust sharedlog.Trust, now time.Time) (IncidentStatus, ProgressState) {
	t.Helper()
	recs, err := sharedlog.Read(t.Context(), dbURL, "staging", trust)
	if err != nil {
		t.Fatal(err)
	}
	feed := &SharedFeed{}
	feed.Add(recs)
	r := newHistoryReader(journal.Path(t.TempDir(), "staging"))
	r.shared = feed
	o := goodObservation(now)
	o.legacyFreeze, o.host = checks.Accepting, "here"
	o.history = r.Read()
	st := newTestEvaluator(t, false).evaluate(o)
	s1, _ := st.Item("S1")
	return writersIncident(t, st), s1.Progress.State
}

// TestAFutureApprovalNeverSilencesTwoWriters: with both runtimes accepting
// writes, an S1 approval by alice dated 2099 (signed by her listed key, or
// INSERTed unsigned) leaves the exactly-one-writer incident firing and S1
// not running; the same approval dated now (signed) is what explains two
// writers away, so the test can tell.
func TestAFutureApprovalNeverSilencesTwoWriters(t *testing.T) {
	dbURL := testsvc.Postgres(t)
	if err := sharedlog.Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	approval := func(at time.Time) journal.Record {
		return journal.Record{Time: at, Kind: journal.KindApproval, Step: "S1", Operator: "alice", Host: "laptop-a", PID: 4242}
	}
	year2099 := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	aliceState := t.TempDir()
	aliceKey := publishAs(t, pool, aliceState, "alice", approval(year2099))
	if _, err := pool.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
		VALUES ('staging', 'FORGED', 0, '{"time":"2099-01-01T00:00:00Z","kind":"approval","step":"S1","operator":"alice","host":"laptop-a","pid":4242}')`); err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewKeyring(map[string]string{"alice": aliceKey})
	if err != nil {
		t.Fatal(err)
	}
	trust := sharedlog.Trust{Keys: ring, MaxSkew: 5 * time.Second}
	now := time.Now()
	inc, s1 := writersWithShared(t, dbURL, trust, now)
	if inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "BOTH runtimes accept writes") || s1 == Running {
		t.Fatalf("two writers with S1 approvals dated 2099: %v (%s), S1 %q: want FIRING and S1 not running", inc.State, inc.Evidence, s1)
	}

	// Alice's real approval, signed and dated now: S1 runs, two writers
	// are expected while it does.
	publishAs(t, pool, aliceState, "alice", approval(now))
	inc, s1 = writersWithShared(t, dbURL, trust, now)
	if inc.State != IncidentOK || !strings.Contains(inc.Evidence, "expected while running: S1 by alice") || s1 != Running {
		t.Fatalf("two writers while alice's S1 runs: %v (%s), S1 %q: want expected, running", inc.State, inc.Evidence, s1)
	}
}

// TestAHundredLargeRowsCostAFollowerLines: 100 rows of almost 1 MiB each
// (the most a row may hold) and 10 beyond it, INSERTed by SQL, followed by
// a subscriber into a SharedFeed: the follower's heap grows by lines, not
// by rows (it grew 37 → 552 MB before the bound).
func TestAHundredLargeRowsCostAFollowerLines(t *testing.T) {
	dbURL := testsvc.Postgres(t)
	if err := sharedlog.Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
		SELECT 'staging', 'HUGE', g, jsonb_build_object('kind', 'approval', 'step', 'S1', 'operator', 'alice',
			'message', repeat(md5(g::text), CASE WHEN g < 100 THEN 32000 ELSE 40000 END))
		FROM generate_series(0, 109) g`); err != nil {
		t.Fatal(err)
	}
	feed := &SharedFeed{}
	before := heapInUse()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	sub := sharedlog.NewSubscriber(pool, "staging", sharedlog.Trust{})
	wg.Go(func() { sub.Run(ctx, feed.Add) })
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, n := feed.Since(0); n == 110 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("the follower did not get the 110 rows within 3m: %v", sub.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	grown := int64(heapInUse()) - int64(before)
	cancel()
	wg.Wait()
	recs, _ := feed.Since(0)
	t.Logf("110 rows of 1 MiB: %d lines kept, %d bytes, heap grew %.1f MB", len(recs), feed.Bytes(), float64(grown)/(1<<20))
	if grown > 10<<20 {
		t.Fatalf("the follower's heap grew %.1f MB for 110 large rows: want < 10 MB", float64(grown)/(1<<20))
	}
	for _, r := range recs {
		if r.Trusted() || len(r.Message) > 1024 {
			t.Fatalf("a large unsigned row kept as %d bytes, trusted %v: want an unverified line", len(r.Message), r.Trusted())
		}
	}
}
