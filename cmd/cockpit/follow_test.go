package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/runbook"
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
