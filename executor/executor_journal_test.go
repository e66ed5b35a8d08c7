package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
)

// The state disk fills up while S1 runs (its set_rust_write_mode fills it,
// as a log flood would): the sub-step's outcome cannot be journaled, so S1
// stops at its next safe point, naming the journal and the errno, and the
// next actuator (route_writes) never runs. Nothing acts that nobody can audit.
func TestAForwardStepStopsWhenItsJournalCannotBeWritten(t *testing.T) {
	h := newHarness(t, false)
	disk := testsvc.SmallDisk(t, 64<<10)
	jpath := journal.Path(disk, "staging")
	j, err := journal.Open(jpath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	// The actuator does its job, then pads the journal to a page boundary
	// and fills the disk: not one more record fits.
	fill := `printf '%s' "$1" > "` + filepath.Join(h.world.dir, "mode") + `"
s=$(stat -c %s "` + jpath + `"); n=$(( (4096 - s % 4096) % 4096 ))
if [ "$n" -gt 0 ]; then printf "%*s\n" $((n - 1)) "" >> "` + jpath + `"; fi
dd if=/dev/zero of="` + filepath.Join(disk, "filler") + `" bs=4096 2>/dev/null
dd if=/dev/zero of="` + filepath.Join(disk, "filler2") + `" bs=1 2>/dev/null
exit 0`
	h.world.env.Actuators.SetRustWriteMode = action(script(t, t.TempDir(), "fill", fill), "{{.Mode}}")
	x := New(h.world, j, lock.FileLock(filepath.Join(t.TempDir(), "staging.lock")),
		Options{Config: &config.Config{StateDir: disk}, PollInterval: 10 * time.Millisecond, Host: "testhost"})

	p, err := x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := x.Execute(t.Context(), p, Approval{Operator: "alice", Via: "test"}, nil)
	if err != nil {
		t.Fatalf("S1: %v", err)
	}
	if out.OK || len(out.Failed) != 1 || !strings.Contains(out.Failed[0], "route_writes") {
		t.Fatalf("S1 = %+v, want it stopped before route_writes", out)
	}
	if want := "journal " + jpath + ": no space left on device: free space or set state_dir"; !strings.Contains(out.Message, want) {
		t.Errorf("outcome %q does not say %q", out.Message, want)
	}
	if h.file("mode") != "rust_active" {
		t.Errorf("the first actuator did not run (mode %q): the test proves nothing", h.file("mode"))
	}
	if _, err := os.Stat(filepath.Join(h.world.dir, "target")); err == nil {
		t.Errorf("route_writes ran although nothing could be journaled (target %q)", h.file("target"))
	}
}
