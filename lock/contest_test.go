package lock

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
)

// testBounds keep the contests short; the rules are the same.
var testBounds = Bounds{Silence: 1500 * time.Millisecond, Stop: 5 * time.Second}

func rollbackHolder(op string) Holder {
	return Holder{Operator: op, Host: "box", PID: 7, Env: "staging", Step: RollbackStep, Since: time.Now()}
}

// notes collects what a contest says, safe for its goroutines.
type notes struct {
	mu  sync.Mutex
	all []string
}

func (n *notes) add(s string) { n.mu.Lock(); n.all = append(n.all, s); n.mu.Unlock() }
func (n *notes) has(sub string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.all {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A live forward step asked to stop learns it at once (Lost, and its fence
// fails before it could start another actuator), keeps answering while it
// finishes, releases, and the rollback then holds the lock, naming whom it
// took it from.
func TestRollbackAsksALiveForwardStepToStopAndWaitsForIt(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	key := EnvKey(t.Name())
	held, err := PostgresLock(dbURL, key).Acquire(t.Context(), holder("alice", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := held.Check(t.Context()); err != nil {
		t.Fatalf("a held lease fails its fence: %v", err)
	}
	// The forward step stops when asked, after a moment (its actuator ends).
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-held.Lost():
			if err := held.Check(context.Background()); err == nil {
				t.Error("the fence passes after the rollback asked for the lock")
			}
			time.Sleep(300 * time.Millisecond)
			_ = held.Release()
		case <-time.After(30 * time.Second):
			t.Error("the forward step was never told")
		}
	}()
	var n notes
	lease, err := PostgresLock(dbURL, key).AcquireRollback(t.Context(), rollbackHolder("bob"), testBounds, 5*time.Second, n.add)
	<-stopped
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	defer lease.Release()
	if got := lease.TookOver(); len(got) != 1 || got[0].Operator != "alice" {
		t.Errorf("TookOver = %+v, want alice's S1", got)
	}
	if !n.has("preempting S1") || n.has("ended the session") {
		t.Errorf("notes %q: want the preemption, no session ended (alice stopped by herself)", n.all)
	}
}

// The fence is a round trip, not the last ping: a session ended by anyone
// fails the next check at once.
func TestFenceFailsAtOnceWhenTheSessionIsEnded(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	key := EnvKey(t.Name())
	held, err := PostgresLock(dbURL, key).Acquire(t.Context(), holder("alice", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	_, err = PostgresLock(dbURL, key).Acquire(t.Context(), holder("bob", 2))
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second acquire: %v", err)
	}
	admin, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "SELECT pg_terminate_backend($1)", busy.Session); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL ends the backend asynchronously: wait for it to be gone,
	// then the very next check must fail.
	waitGone(t, admin, busy.Session)
	if err := held.Check(t.Context()); err == nil {
		t.Fatal("the fence passed on a session PostgreSQL ended")
	}
	select {
	case <-held.Lost():
	case <-time.After(10 * time.Second):
		t.Error("Lost never said so")
	}
}

func waitGone(t *testing.T, conn *pgx.Conn, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still there", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// strayRole creates a role that may only connect, and returns its URL.
func strayRole(t *testing.T, dbURL, name string, signal bool) string {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(t.Context(), "CREATE ROLE "+ident+" LOGIN PASSWORD 'stray'"); err != nil {
		t.Fatal(err)
	}
	if signal {
		if _, err := admin.Exec(t.Context(), "GRANT pg_signal_backend TO "+ident); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(name, "stray")
	return u.String()
}

// holdRaw holds the key from a session that is not a lock lease: a stray
// tool, or a session named like a cockpit that never answers.
func holdRaw(t *testing.T, dbURL, appName string, key int64) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = appName
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), "SELECT pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	return conn
}

// A CONNECT-only role holding the key with pg_advisory_lock does not block
// a rollback: its session is ended at once and the rollback holds the lock.
// The rollback's role sees neither that session's start nor its address.
func TestRollbackEndsAStrayHolder(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	prefix := testsvc.UniqueRolePrefix(t)
	key := EnvKey(t.Name())
	holdRaw(t, strayRole(t, dbURL, prefix+"stray", false), "psql", key)
	rollbackURL := strayRole(t, dbURL, prefix+"ops", true) // an operator with pg_signal_backend
	var n notes
	lease, err := PostgresLock(rollbackURL, key).AcquireRollback(t.Context(), rollbackHolder("bob"), testBounds, 5*time.Second, n.add)
	if err != nil {
		t.Fatalf("a stray holder blocked the rollback: %v", err)
	}
	defer lease.Release()
	if !n.has("not a cockpit's session") || !n.has("ended the session") {
		t.Errorf("notes %q: want the stray named and its session ended", n.all)
	}
}

// Without the right to end the stray's session, the rollback is told to
// bypass the lock, with the reason, instead of waiting.
func TestRollbackBypassesAStrayItCannotEnd(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	prefix := testsvc.UniqueRolePrefix(t)
	key := EnvKey(t.Name())
	holdRaw(t, strayRole(t, dbURL, prefix+"stray", false), "psql", key)
	rollbackURL := strayRole(t, dbURL, prefix+"ops", false)
	_, err := PostgresLock(rollbackURL, key).AcquireRollback(t.Context(), rollbackHolder("bob"), testBounds, 5*time.Second, func(string) {})
	var bypass *BypassError
	if !errors.As(err, &bypass) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want a bypass saying ending the session was refused", err)
	}
}

// A rollback that answers holds a second rollback off; one that is silent
// (suspended: its session holds the key, nobody answers) is taken over
// after Bounds.Silence.
func TestOnlyALiveRollbackHoldsAnotherOff(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	key := EnvKey(t.Name())
	live, err := PostgresLock(dbURL, key).AcquireRollback(t.Context(), rollbackHolder("alice"), testBounds, 5*time.Second, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	_, err = PostgresLock(dbURL, key).AcquireRollback(t.Context(), rollbackHolder("bob"), testBounds, 5*time.Second, func(string) {})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder.Operator != "alice" {
		t.Fatalf("second rollback against a live one: %v, want refused naming alice", err)
	}
	must(t, live.Release())

	holdRaw(t, dbURL, encodeHolder(rollbackHolder("carol")), key) // named like a rollback, never answers
	var n notes
	lease, err := PostgresLock(dbURL, key).AcquireRollback(t.Context(), rollbackHolder("bob"), testBounds, 5*time.Second, n.add)
	if err != nil {
		t.Fatalf("a silent rollback blocked another: %v", err)
	}
	defer lease.Release()
	if !n.has("answered none of the rollback's probes") {
		t.Errorf("notes %q: want the silence named", n.all)
	}
	if len(lease.TookOver()) != 0 {
		t.Errorf("a rollback taken over counts as a forward step: %+v", lease.TookOver())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
