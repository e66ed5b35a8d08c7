package sharedlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// closedPortURL is a database URL nothing listens at.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return fmt.Sprintf("postgres://nobody:nothing@%s/cockpit?sslmode=disable&connect_timeout=2", addr)
}

// flushErr is Flush's answer within bound.
func flushErr(t *testing.T, p *Publisher, bound time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	began := time.Now()
	err := p.Flush(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		t.Fatalf("Flush still waiting after %v: an attempt is not bounded", time.Since(began))
	}
	return err
}

func TestPublisherDatabaseUnreachableThenRestarted(t *testing.T) {
	dbURL, pool := migrated(t)
	j := machine(t, "production")
	down := newPublisher(t, newPool(t, closedPortURL(t)), j, "production")
	stop := start(t, down)

	began := time.Now()
	for i := range 5 {
		appendMessages(t, j, fmt.Sprintf("step %d", i))
		down.Kick()
	}
	if took := time.Since(began); took > time.Second {
		t.Fatalf("5 appends and kicks took %v with the database down; they must not wait for it", took)
	}
	if err := flushErr(t, down, 5*time.Second); err == nil {
		t.Fatal("Flush to a closed port succeeded")
	}
	st := down.Status()
	if st.Pending != 5 || st.Err == nil || st.FailingSince.IsZero() {
		t.Fatalf("Status with the database down = %+v, want 5 pending and the error", st)
	}
	if s := st.String(); !strings.HasPrefix(s, "timeline: 5 records queued, not published: database unavailable (") {
		t.Errorf("Status.String() = %q", s)
	}
	stop()

	// The cockpit restarts with the database back: the backlog goes out
	// once, in order.
	up := newPublisher(t, pool, j, "production")
	start(t, up)
	flush(t, up)
	wantMessages(t, sharedMessages(t, dbURL, "production"), "step 0", "step 1", "step 2", "step 3", "step 4")
}

func TestPublisherCatchesUpWhenDatabaseReturns(t *testing.T) {
	dbURL, pool := migrated(t)
	j := machine(t, "production")
	p := newPublisher(t, pool, j, "production")
	start(t, p)
	appendMessages(t, j, "before")
	flush(t, p)

	// The database refuses connections and drops the ones it had.
	admin := connect(t, os.Getenv("COCKPIT_TEST_DB_URL"))
	dbName := connect(t, dbURL).Config().Database
	setAllowConnections(t, admin, dbName, false)
	t.Cleanup(func() { setAllowConnections(t, admin, dbName, true) })
	terminateBackends(t, admin, dbName)

	appendMessages(t, j, "during 1", "during 2", "during 3")
	p.Kick()
	if err := flushErr(t, p, 5*time.Second); err == nil {
		t.Fatal("Flush succeeded while the database refused connections")
	}
	if st := p.Status(); st.Pending != 3 || st.Err == nil {
		t.Fatalf("Status while refused = %+v, want 3 pending and the error", st)
	}

	setAllowConnections(t, admin, dbName, true)
	appendMessages(t, j, "after")
	p.Kick()
	// No Flush: the backoff alone brings the publisher back.
	eventually(t, 10*time.Second, "the backlog reaches the database once it is back", func() bool {
		return p.Status().Pending == 0 && p.Status().Err == nil
	})
	wantMessages(t, sharedMessages(t, dbURL, "production"), "before", "during 1", "during 2", "during 3", "after")
}

// terminateBackends drops every connection to dbName, as a restarting
// server does.
func terminateBackends(t *testing.T, admin *pgx.Conn, dbName string) {
	t.Helper()
	if _, err := admin.Exec(t.Context(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName); err != nil {
		t.Fatalf("terminating connections to %s: %v", dbName, err)
	}
}

func setAllowConnections(t *testing.T, admin *pgx.Conn, dbName string, allow bool) {
	t.Helper()
	q := fmt.Sprintf("ALTER DATABASE %s WITH ALLOW_CONNECTIONS %t", pgx.Identifier{dbName}.Sanitize(), allow)
	if _, err := admin.Exec(context.WithoutCancel(t.Context()), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestPublisherHungDatabaseCostsSecondsNotForever(t *testing.T) {
	dbURL, pool := migrated(t)
	j := machine(t, "production")
	p := newPublisher(t, pool, j, "production")
	start(t, p)

	// Another session holds the environment's insert lock: every insert
	// waits on it, as on a wedged server.
	holder := connect(t, dbURL)
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), sqlLockEnv, "production"); err != nil {
		t.Fatal(err)
	}
	appendMessages(t, j, "stuck")
	began := time.Now()
	if err := flushErr(t, p, insertTimeout+2*time.Second); err == nil {
		t.Fatal("Flush succeeded while the insert lock was held")
	}
	if took := time.Since(began); took < insertTimeout-100*time.Millisecond {
		t.Fatalf("Flush failed after %v, before the insert could have waited", took)
	}
	if st := p.Status(); st.Pending != 1 || st.Err == nil {
		t.Fatalf("Status while hung = %+v, want 1 pending and the error", st)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	flush(t, p)
	wantMessages(t, sharedMessages(t, dbURL, "production"), "stuck")
}
