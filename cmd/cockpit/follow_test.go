package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
// alone: a round published now is followed at its own time; one dated an
// hour ahead is refused "in the future (clock skew?)"; one its publisher
// dates a minute back (a clock behind) and one the database took a minute
// ago (though dated now: forged, or a publisher ahead within the skew)
// read a minute old, past stale_after: the follower observes on its own.
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
	ownAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := followObserver{own: fixedObserver{at: ownAt}, pool: pool, env: "staging", staleAfter: 10 * time.Second, maxSkew: 5 * time.Second}
	round := func(at time.Time) []byte {
		b, err := runbook.EncodeState(runbook.State{Env: "staging", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := sharedlog.PublishObservation(t.Context(), pool, "staging", now, round(now), 0); err != nil {
		t.Fatal(err)
	}
	if st := o.Observe(t.Context()); !st.At.Equal(now) || !strings.HasPrefix(st.Source, "following the shared feed (") {
		t.Fatalf("a round published now: at %v, source %q; want it followed", st.At, st.Source)
	}
	exec(`UPDATE cockpit_observation SET observed_at = $1, state = $2`, now.Add(time.Hour), round(now.Add(time.Hour)))
	if st := o.Observe(t.Context()); !st.At.Equal(ownAt) || !strings.Contains(st.Source, "feed refused: ") ||
		!strings.Contains(st.Source, " is in the future (clock skew?) · observing on its own") {
		t.Fatalf("a row dated an hour ahead: at %v, source %q; want refused, its own round", st.At, st.Source)
	}
	exec(`UPDATE cockpit_observation SET observed_at = $1, state = $2`, now.Add(-time.Minute), round(now.Add(-time.Minute)))
	if st := o.Observe(t.Context()); !st.At.Equal(ownAt) || !strings.HasPrefix(st.Source, "observing on its own: the shared feed is 1m") {
		t.Fatalf("a round its publisher dates a minute back: at %v, source %q; want a minute old, its own round", st.At, st.Source)
	}
	// The owner steps around the trigger to date a write a minute back.
	exec(`ALTER TABLE cockpit_observation DISABLE TRIGGER cockpit_observation_received`)
	exec(`UPDATE cockpit_observation SET observed_at = clock_timestamp(), received_at = clock_timestamp() - interval '1 minute', state = $1`, round(now))
	if st := o.Observe(t.Context()); !st.At.Equal(ownAt) || !strings.HasPrefix(st.Source, "observing on its own: the shared feed is 1m") {
		t.Fatalf("a row dated now that the database took a minute ago: at %v, source %q; want a minute old, its own round", st.At, st.Source)
	}
}
