package lock

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func holder(op string, pid int) Holder {
	return Holder{Operator: op, Host: "box", PID: pid, Env: "staging", Step: "S1",
		Since: time.Date(2026, 3, 1, 14, 3, 5, 0, time.UTC)}
}

func TestFileLockSecondAcquirerIsRefusedNamingTheHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "staging.lock")
	first := FileLock(path)
	release, err := first.Acquire(t.Context(), holder("alice", 123))
	if err != nil {
		t.Fatalf("first acquire: %v", err)
	}
	second := FileLock(path)
	second.Now = func() time.Time { return time.Date(2026, 3, 1, 14, 5, 5, 0, time.UTC) }
	_, err = second.Acquire(t.Context(), holder("bob", 456))
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second acquire: got %v, want a BusyError", err)
	}
	msg := busy.Error()
	for _, want := range []string{"alice@box pid 123", "(2m00s ago)", "running S1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if err := release.Release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := release.Release(); err != nil {
		t.Fatalf("second release must be harmless: %v", err)
	}
	again, err := second.Acquire(t.Context(), holder("bob", 456))
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = again.Release()
}

// TestMain lets the test binary act as another process holding the lock.
func TestMain(m *testing.M) {
	if path := os.Getenv("COCKPIT_LOCK_HELPER_PATH"); path != "" {
		h := holder("carol", os.Getpid())
		if step := os.Getenv("COCKPIT_LOCK_HELPER_STEP"); step != "" {
			h.Step, h.Host = step, hostname()
		}
		_, err := FileLock(path).Acquire(context.Background(), h)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute) // until the test kills it
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestFileLockAcrossProcessesAndFreedWhenTheHolderIsKilled(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "staging.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "COCKPIT_LOCK_HELPER_PATH="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper process: %q, %v", line, err)
	}

	_, err = FileLock(path).Acquire(t.Context(), holder("dave", os.Getpid()))
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("acquire while another process holds it: got %v, want BusyError", err)
	}
	if want := "carol@box pid " + strconv.Itoa(cmd.Process.Pid); !strings.Contains(busy.Error(), want) {
		t.Errorf("refusal %q does not name %q", busy.Error(), want)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	release, err := FileLock(path).Acquire(t.Context(), holder("dave", os.Getpid()))
	if err != nil {
		t.Fatalf("the kernel should free a killed holder's lock: %v", err)
	}
	_ = release.Release()
}

// A rollback on this machine preempts a forward step with a signal the
// lease catches: the step learns it lost the lock, its fence fails, and
// the process (an operator's screen) lives on.
func TestFileLockPreemptionStopsTheLeaseNotTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staging.lock")
	host, _ := os.Hostname()
	h := Holder{Operator: "alice", Host: host, PID: os.Getpid(), Env: "staging", Step: "S1", Since: time.Now()}
	lease, err := (&File{Path: path, Preemptible: true}).Acquire(t.Context(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if err := lease.Check(t.Context()); err != nil {
		t.Fatalf("fence before any preemption: %v", err)
	}
	_, err = FileLock(path).Acquire(t.Context(), Holder{Operator: "bob", Step: RollbackStep})
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("rollback's first try: %v", err)
	}
	if err := FileLock(path).Preempt(t.Context(), busy); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lease.Lost():
		if !strings.Contains(err.Error(), "preempted by a rollback") {
			t.Errorf("lost reason %q", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lease was not told")
	}
	if err := lease.Check(t.Context()); err == nil {
		t.Error("the fence passes after the preemption")
	}
	// A rollback's signal that comes after the lease was released finds
	// nothing to stop; it must not end the process (uncaught, it would).
	must(t, lease.Release())
	must(t, syscall.Kill(os.Getpid(), preemptSignal))
	time.Sleep(100 * time.Millisecond)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// lockHelper starts a process holding the lock file at path for step.
func lockHelper(t *testing.T, path, step string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "COCKPIT_LOCK_HELPER_PATH="+path, "COCKPIT_LOCK_HELPER_STEP="+step)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper process: %q, %v", line, err)
	}
	return cmd
}
