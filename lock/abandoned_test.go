package lock

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAKilledHoldersLockIsSaidAbandonedByTheNextHolder: a process holding
// the lock is killed (SIGKILL: no release); the kernel frees its flock, and
// the next process to take the lock says, through Note, that the killed
// one ended holding it. A lock released cleanly is never said abandoned.
func TestAKilledHoldersLockIsSaidAbandonedByTheNextHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "staging.lock")
	helper := lockHelper(t, path, "S1")
	killed := helper.Process.Pid
	must(t, helper.Process.Kill())
	_ = helper.Wait()

	var notes []string
	env := &Env{File: FileLock(path), Timeout: time.Second, Note: func(_ Holder, msg string) { notes = append(notes, msg) }}
	lease, err := env.Acquire(t.Context(), holder("dave", 99))
	if err != nil {
		t.Fatalf("taking the killed holder's lock: %v", err)
	}
	prev, ok := lease.Abandoned()
	if !ok || prev.PID != killed || prev.Operator != "carol" || prev.Step != "S1" {
		t.Fatalf("abandoned = %+v, %v; want carol's pid %d for S1", prev, ok, killed)
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], AbandonedWords+": carol@") ||
		!strings.Contains(notes[0], "pid "+strconv.Itoa(killed)+" took it for S1") || !strings.Contains(notes[0], "ended without releasing it") {
		t.Errorf("notes = %q, want one saying carol's pid %d abandoned the lock for S1", notes, killed)
	}

	// Released cleanly: the next holder has nothing to say.
	must(t, lease.Release())
	notes = nil
	again, err := env.Acquire(t.Context(), holder("erin", 100))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if prev, ok := again.Abandoned(); ok || len(notes) != 0 {
		t.Errorf("after a clean release: abandoned %+v %v, notes %q; want none", prev, ok, notes)
	}
}
