package sharedlog

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// migrated is a fresh database with the schema, and a pool on it.
func migrated(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	dbURL := testsvc.Postgres(t)
	if err := Migrate(t.Context(), dbURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return dbURL, newPool(t, dbURL)
}

func newPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { closeConn(conn) })
	return conn
}

// machine is one cockpit's journal for env, in a directory of its own.
func machine(t *testing.T, env string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(journal.Path(t.TempDir(), env))
	if err != nil {
		t.Fatalf("journal.Open: %v", err)
	}
	j.SetDefaults(env, "alice", "host-"+env, "cfg")
	t.Cleanup(func() { _ = j.Close() })
	return j
}

// appendMessages appends one progress record per message.
func appendMessages(t *testing.T, j *journal.Journal, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if err := j.Append(journal.Record{Kind: journal.KindProgress, Message: m}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

// start runs p until the test ends, or until the returned stop is called.
func start(t *testing.T, p *Publisher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return stop
}

func flush(t *testing.T, p *Publisher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func newPublisher(t *testing.T, pool *pgxpool.Pool, j *journal.Journal, env string) *Publisher {
	t.Helper()
	p, err := NewPublisher(pool, env, j.Path())
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	return p
}

// sharedMessages is the Message of every record of env in the shared
// timeline, in its order.
func sharedMessages(t *testing.T, dbURL, env string) []string {
	t.Helper()
	recs, err := Read(t.Context(), dbURL, env, Trust{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return messages(recs)
}

func messages(recs []journal.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Message
	}
	return out
}

func wantMessages(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("shared timeline messages = %q, want %q", got, want)
	}
}

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// originOf is the origin id stored beside j.
func originOf(t *testing.T, j *journal.Journal) string {
	t.Helper()
	id, err := readOrigin(originPath(j.Path()))
	if err != nil {
		t.Fatal(err)
	}
	return id
}
