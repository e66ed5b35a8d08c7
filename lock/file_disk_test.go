package lock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openagents/cockpit/internal/testsvc"
)

// A rollback's file lock on a read-only state disk is still taken (flock on
// a read-only open) and still excludes another taker; a forward step's is
// refused with the errno. On a full disk, where the holder's JSON cannot be
// written, the same holds.
func TestABestEffortHolderTakesTheLockOnABrokenStateDisk(t *testing.T) {
	for name, breakDisk := range map[string]func(t *testing.T, disk string){
		"read-only": func(t *testing.T, disk string) { testsvc.RemountReadOnly(t, disk) },
		"full":      func(t *testing.T, disk string) { testsvc.FillDisk(t, disk) },
	} {
		t.Run(name, func(t *testing.T) {
			disk := testsvc.SmallDisk(t, 64<<10)
			path := filepath.Join(disk, "production.lock")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			breakDisk(t, disk)
			h := Holder{Operator: "alice", Host: "h", PID: os.Getpid(), Env: "production", Step: "rollback"}

			if _, err := FileLock(path).Acquire(t.Context(), h); err == nil {
				t.Fatal("a forward step's lock was taken on a broken state disk")
			}
			rollback := &File{Path: path, BestEffortHolder: true}
			lease, err := rollback.Acquire(t.Context(), h)
			if err != nil {
				t.Fatalf("a rollback's lock on a %s state disk: %v", name, err)
			}
			other := &File{Path: path, BestEffortHolder: true}
			var busy *BusyError
			if _, err := other.Acquire(t.Context(), h); !errors.As(err, &busy) {
				t.Errorf("a second taker while the rollback holds it: %v, want busy", err)
			}
			if err := lease.Release(); err != nil {
				t.Errorf("release: %v", err)
			}
			if lease2, err := other.Acquire(t.Context(), h); err != nil {
				t.Errorf("after the release: %v", err)
			} else {
				_ = lease2.Release()
			}
		})
	}
}
