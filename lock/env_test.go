package lock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// On one machine, a live rollback holding the lock file holds a second one
// off; suspended (SIGSTOP), it is bypassed after Bounds.Silence, and the
// rollback says so.
func TestEnvRollbackBypassesASuspendedRollbackOnThisMachine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "staging.lock")
	first := lockHelper(t, path, RollbackStep)
	var n notes
	env := &Env{File: FileLock(path), Rollback: true, Bounds: Bounds{Silence: 300 * time.Millisecond, Stop: 2 * time.Second},
		Note: func(_ Holder, msg string) { n.add(msg) }}
	_, err := env.Acquire(t.Context(), rollbackHolder("bob"))
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder.Operator != "carol" {
		t.Fatalf("against a live rollback: %v, want refused naming carol", err)
	}
	must(t, syscall.Kill(first.Process.Pid, syscall.SIGSTOP))
	t.Cleanup(func() { _ = syscall.Kill(first.Process.Pid, syscall.SIGCONT) })
	// SIGSTOP is delivered asynchronously: until the process is stopped it
	// is a live rollback.
	deadline := time.Now().Add(10 * time.Second)
	for stopped, _ := env.File.Stopped(busy.Holder); !stopped; stopped, _ = env.File.Stopped(busy.Holder) {
		if time.Now().After(deadline) {
			t.Fatal("the helper never showed as stopped in /proc")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lease, err := env.Acquire(t.Context(), rollbackHolder("bob"))
	if err != nil {
		t.Fatalf("against a suspended rollback: %v", err)
	}
	defer lease.Release()
	if !n.has("suspended for 300ms") || !n.has("rolling back without the lock file") {
		t.Errorf("notes %q: want the suspension and the bypass said", n.all)
	}
}

// A forward step on this machine (this test process, as operate would be)
// is asked to stop by a signal its lease catches; it releases, and the
// rollback holds the lock, naming whom it took it from. Not parallel: the
// signal reaches every preemptible lease of the process.
func TestEnvRollbackPreemptsALocalForwardStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staging.lock")
	host := hostname()
	held, err := (&File{Path: path, Preemptible: true}).Acquire(t.Context(),
		Holder{Operator: "alice", Host: host, PID: syscall.Getpid(), Env: "staging", Step: "S1", Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-held.Lost()
		_ = held.Release() // the step stops and releases
	}()
	var n notes
	env := &Env{File: FileLock(path), Rollback: true, Note: func(_ Holder, msg string) { n.add(msg) }}
	lease, err := env.Acquire(t.Context(), rollbackHolder("bob"))
	if err != nil {
		t.Fatalf("rollback against a local forward step: %v", err)
	}
	defer lease.Release()
	if got := lease.TookOver(); len(got) != 1 || got[0].Step != "S1" {
		t.Errorf("TookOver = %+v, want S1", got)
	}
	if !n.has("preempting S1") || !n.has("took the lock over") {
		t.Errorf("notes %q", n.all)
	}
}

// A holder caught between its flock and its name (or between emptying the
// file and closing it, as every release does) is waited for, not taken for
// a rollback that holds the next one off.
func TestEnvRollbackWaitsOutAnUnnamedHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "staging.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = f.Close()
	}()
	env := &Env{File: FileLock(path), Rollback: true, Note: func(Holder, string) {}}
	lease, err := env.Acquire(t.Context(), rollbackHolder("bob"))
	if err != nil {
		t.Fatalf("rollback against a holder that has not written its name yet: %v", err)
	}
	_ = lease.Release()
}
