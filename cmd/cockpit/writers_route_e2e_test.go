package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// TestS1KilledBetweenItsFirstSubStepsRunsAgainWithoutOverride: S1 is
// killed (SIGKILL, the whole process group) after its first sub-step set
// Rust to rust_active and while its second (route writes to rust) hangs:
// Rust accepts writes, none reaches it, legacy takes them all. I2 judges
// where writes are routed, legacy, so S1 runs again with no override and
// completes. (I2 judged Rust, whose error rate has no traffic to tell
// from: UNKNOWN for good, and S1 held until overridden.)
func TestS1KilledBetweenItsFirstSubStepsRunsAgainWithoutOverride(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 on a rehearsal world")
	}
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "hung-once")
	// The first route_writes hangs (recording its PID); later ones act.
	hangOnce := writeScript(t, dir, "hang-once",
		`if [ ! -e `+marker+` ]; then echo $$ > `+marker+`; exec sleep 600; fi; exec "$@"`)
	w := newE2EWorld(t, cockpitBinary(t), func(cfg string) string {
		return strings.Replace(cfg, "      route_writes: {argv: [", `      route_writes: {argv: ["`+hangOnce+`", `, 1)
	})
	run := w.command(map[string]string{"DB_URL": w.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1")
	out := &testsvc.LockedBuffer{}
	run.Stdout, run.Stderr = out, out
	must(t, run.Start())
	eventually(t, 60*time.Second, 100*time.Millisecond, "S1's route_writes hanging after its mode was set", func() bool {
		_, err := os.Stat(marker)
		return err == nil && w.state("staging").RustWriteMode == "rust_active"
	})
	must(t, syscall.Kill(-run.Process.Pid, syscall.SIGKILL))
	_ = run.Wait()
	if pid, err := strconv.Atoi(strings.TrimSpace(string(mustRead(t, marker)))); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL) // the actuator, in a group of its own
	}
	if st := w.state("staging"); st.RustWriteMode != "rust_active" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Fatalf("after the kill the world says %+v, want rust_active, legacy not frozen, writes → legacy", st)
	}

	// The world's next scrapes settle; S1 is then allowed, no override.
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("the last run S1 said:\n%s", last)
		}
	}()
	eventually(t, 60*time.Second, time.Second, "S1 allowed again without an override", func() bool {
		stdout, errOut, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
		last = stdout + errOut
		if code != exitOK && code != exitNeedsApproval && code != exitUnknown {
			t.Fatalf("run S1 again: exit %d:\n%s", code, last)
		}
		return code == exitOK
	})
	if strings.Contains(last, "override") {
		t.Errorf("S1's re-run speaks of an override:\n%s", last)
	}
	if st := w.state("staging"); st.RustWriteMode != "rust_active" || !st.LegacyWriteFreeze || st.WriteTarget != "rust" {
		t.Errorf("after S1 ran again the world says %+v, want rust_active, legacy frozen, writes → rust", st)
	}
	for _, r := range w.timeline("staging") {
		if r.Kind == journal.KindOverride && r.Step == "S1" {
			t.Errorf("S1's gates were overridden: %+v", r)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
