package lock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
)

// machine is one operator's policy for staging: a state directory of its
// own, the environment's database shared.
func machine(t *testing.T, dbURL string, n *notes) Policy {
	// 10s: a PostgreSQL beside a second test suite can take over 2s to answer.
	return Policy{StateDir: t.TempDir(), Env: "staging", DBURL: dbURL, Timeout: 10 * time.Second, Bounds: testBounds,
		Note: func(_ Holder, msg string) { n.add(msg) }}
}

// Across two machines sharing the environment's database, the policy's
// locker gives a forward step the lock that refuses (a second forward step
// is refused, naming the holder) and a rollback the one that wins: the
// forward step is asked to stop, and the rollback takes the lock over,
// saying so.
func TestPolicyARollbackFromAnotherMachineWinsOverAForwardStep(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	var alicesNotes, bobsNotes notes
	alice, bob := machine(t, dbURL, &alicesNotes), machine(t, dbURL, &bobsNotes)
	held, err := alice.Locker().Acquire(t.Context(), holder("alice", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(alice.StateDir, "staging.lock")); err != nil {
		t.Errorf("the lock file is not under the state directory: %v", err)
	}
	var busy *BusyError
	if _, err := bob.Locker().Acquire(t.Context(), holder("bob", os.Getpid())); !errors.As(err, &busy) || busy.Holder.Operator != "alice" {
		t.Fatalf("a second forward step on another machine: %v, want refused naming alice", err)
	}
	go func() {
		<-held.Lost()
		_ = held.Release() // the step stops at its next safe point and releases
	}()
	lease, err := bob.Locker().Acquire(t.Context(), rollbackHolder("bob"))
	if err != nil {
		t.Fatalf("a rollback against alice's forward step: %v", err)
	}
	defer lease.Release()
	if got := lease.TookOver(); len(got) != 1 || got[0].Operator != "alice" {
		t.Errorf("TookOver = %+v, want alice's step", got)
	}
	if !bobsNotes.has("preempting S1") {
		t.Errorf("bob's notes %q: want the preemption said", bobsNotes.all)
	}
}

// A database that cannot be reached refuses a forward step, naming the
// database and the step, and never blocks a rollback: it goes on under the
// lock file, and says so.
func TestPolicyADatabaseOutageRefusesAForwardStepButNotARollback(t *testing.T) {
	t.Parallel()
	var n notes
	p := machine(t, "postgres://x:y@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", &n)
	p.Timeout = time.Second
	_, err := p.Locker().Acquire(t.Context(), holder("alice", os.Getpid()))
	if err == nil || !strings.Contains(err.Error(), "database is unreachable within 1s, so S1 cannot run") {
		t.Fatalf("a forward step without its database: %v, want refused naming the database and S1", err)
	}
	lease, err := p.Locker().Acquire(t.Context(), rollbackHolder("alice"))
	if err != nil {
		t.Fatalf("a rollback without its database: %v", err)
	}
	defer lease.Release()
	if !n.has("rolling back under the file lock on this machine only") {
		t.Errorf("notes %q: want the fallback said", n.all)
	}
}
