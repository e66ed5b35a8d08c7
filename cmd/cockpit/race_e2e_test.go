package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// raceEnv makes a -race binary stop at its first data race with exit code
// 66 (the race detector's), rather than report it and carry on.
const raceEnv = "GORACE=halt_on_error=1"

// raceExit is the exit code of a -race binary that found a data race.
const raceExit = 66

// TestTheBinaryUnderRace drives the cockpit built with -race through a
// short real flow, each verb its own process as an operator runs it: the
// world (`rehearse --headless`), the read-only screen in tmux for a few
// rounds, `check all`, S1 and the rollback (whose actuators are the -race
// binary too), and the world's shutdown. The other end-to-end tests exec a
// plain build: only here do the binary's own goroutines (the screen's, the
// sampler's, the executor's, the world's) run under the race detector. A
// race report in any process fails the test with what it said.
func TestTheBinaryUnderRace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the cockpit with -race")
	}
	tmux := toolBinary(t, "tmux", "race", "apt-get install -y tmux")
	t.Parallel()
	bin := raceCockpitBinary(t)
	cfg, world := screenStartWorldWith(t, bin, t.TempDir(), time.Second, raceEnv)

	// A -race binary is several times slower: the screen gets longer.
	watch := newTmuxScreen(t, tmux, "env", raceEnv, bin, "watch", "--config", cfg, "--env", "staging")
	watch.waitFor("the watch screen's panes live", 2*time.Minute, screenPanesLive)
	first := watch.capture()
	watch.waitFor("a later round redrawn", time.Minute, func(s string) bool { return s != first && screenPanesLive(s) })
	watch.keys("q")
	watch.waitFor("watch to exit 0 (66 is a race)", time.Minute, func(s string) bool {
		if strings.Contains(s, "cockpit exited ") && !strings.Contains(s, screenExitedLine) {
			t.Fatalf("watch under -race exited non-zero:\n%s", s)
		}
		return strings.Contains(s, screenExitedLine)
	})

	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := raceRun(t, bin, append(args, "--config", cfg)...)
		if code != want {
			t.Fatalf("cockpit %s under -race: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	// Without a database P4 holds check all (exit 2): the verdicts are the
	// world's business here, the race detector's silence is the test's.
	if out := run(exitUnknown, "check", "all", "--env", "staging"); !strings.Contains(out, "P4") {
		t.Errorf("check all printed no verdicts:\n%s", out)
	}
	run(exitOK, "run", "S1", "--env", "staging", "--approve", "S1", "--override-reason", "race test: no database")
	run(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")

	_ = world.cmd.Process.Signal(os.Interrupt)
	if code := world.wait(t, time.Minute); code != 0 || strings.Contains(world.stderr.String(), "DATA RACE") {
		t.Fatalf("rehearse --headless under -race: exit %d (66 is a race)\n%s", code, world.stderr.String())
	}
}

// raceRun runs the -race binary to its end and fails the test on a race
// report (exit 66, or the detector's words on stderr).
func raceRun(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(), raceEnv)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Minute
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code = exitCodeOf(t, cmd, cmd.Run())
	if code == raceExit || strings.Contains(errOut.String(), "DATA RACE") {
		t.Fatalf("cockpit %s under -race reported a race (exit %d):\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String(), errOut.String(), code
}
