package factory

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// fixedObserver is an engine that answers at once, while its context lives.
type fixedObserver struct{ at time.Time }

func (f fixedObserver) Observe(ctx context.Context) runbook.State {
	if ctx.Err() != nil {
		return runbook.State{Env: "staging"} // a round with no time left observes nothing
	}
	return runbook.State{Env: "staging", At: f.at}
}

// A feed database that accepts and never answers costs watch --follow a
// third of its round: the rest is left to observe on its own, and it says
// why.
func TestFollowingASilentDatabaseObservesOnItsOwn(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn // accepted, held open, never answered
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	pool, err := pgxpool.New(context.Background(), "postgres://x:y@"+ln.Addr().String()+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	own := fixedObserver{at: time.Now()}
	o := followObserver{own: own, pool: pool, env: "staging", staleAfter: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	st := o.Observe(ctx)
	if st.At.IsZero() || !strings.Contains(st.Source, "observing on its own: shared feed unavailable") {
		t.Fatalf("with a silent feed database: at %v, source %q; want its own round, saying why", st.At, st.Source)
	}
}

// The follower's verdict on a feed row comes from the database's clock
// and team_keys alone: a round alice published now is followed at its own
// time; one dated an hour ahead is refused "in the future (clock skew?)";
// one she dates a minute back (a clock behind) and one the database took a
// minute ago (though dated now: a publisher ahead within the skew) read a
// minute old, past stale_after: the follower observes on its own, as it
// does on an unsigned row, saying it is unverified.
func TestTheFollowersVerdictOnTheFeedIsTheDatabasesClock(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	if err := sharedlog.Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	alice, err := signing.Load(t.TempDir(), "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewKeyring(map[string]string{"alice": alice.Public()})
	if err != nil {
		t.Fatal(err)
	}
	ownAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := followObserver{own: fixedObserver{at: ownAt}, pool: pool, env: "staging", staleAfter: 10 * time.Second,
		trust: sharedlog.Trust{Keys: ring, MaxSkew: 5 * time.Second}}
	publish := func(at time.Time, s *signing.Signer) {
		t.Helper()
		b, err := runbook.EncodeState(runbook.State{Env: "staging", At: at})
		if err == nil {
			err = sharedlog.PublishObservation(t.Context(), pool, "staging", at, b, time.Hour, s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	ownRound := func(what, source string) {
		t.Helper()
		if st := o.Observe(t.Context()); !st.At.Equal(ownAt) || !strings.Contains(st.Source, source) {
			t.Fatalf("%s: at %v, source %q; want its own round, saying %q", what, st.At, st.Source, source)
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	publish(now, alice)
	if st := o.Observe(t.Context()); !st.At.Equal(now) || !strings.HasPrefix(st.Source, "following the shared feed (") ||
		!strings.HasSuffix(st.Source, " old, signed by alice)") {
		t.Fatalf("a round published now: at %v, source %q; want it followed", st.At, st.Source)
	}
	publish(now.Add(time.Hour), alice)
	ownRound("a row dated an hour ahead", " is in the future (clock skew?) · observing on its own")
	publish(now.Add(-time.Minute), alice)
	ownRound("a round its publisher dates a minute back", "observing on its own: the shared feed is 1m")
	publish(time.Now(), nil)
	ownRound("an unsigned round", "feed unverified: unsigned · observing on its own")
	// The owner steps around the trigger to date a write a minute back.
	publish(time.Now(), alice)
	exec(`ALTER TABLE cockpit_observation DISABLE TRIGGER cockpit_observation_received`)
	exec(`UPDATE cockpit_observation SET received_at = clock_timestamp() - interval '1 minute'`)
	ownRound("a row dated now that the database took a minute ago", "observing on its own: the shared feed is 1m")
}
