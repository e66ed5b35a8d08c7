package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
)

// TestARollbackAlwaysWinsEndToEnd drives the built binary through the bad
// days a rollback must survive: a dropped terminal or a SIGTERM in the middle
// of it, a forward step holding the lock, a database that never answers.
func TestARollbackAlwaysWinsEndToEnd(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"SIGTERM to operate mid-rollback: R1–R4 finish", func(t *testing.T, bin string) { testOperateSignalMidRollback(t, bin, syscall.SIGTERM) }},
		{"SIGHUP to operate mid-rollback: R1–R4 finish", func(t *testing.T, bin string) { testOperateSignalMidRollback(t, bin, syscall.SIGHUP) }},
		{"a rollback preempts a forward step that is verifying", testRollbackPreemptsAForwardStep},
		{"a silent lock database never blocks a rollback", testSilentLockDatabase},
	})
}

// wrapActuator puts a wrapper script in front of staging's actuator named
// key (the first one in the generated config; production keeps its own).
func wrapActuator(cfg, key, wrapper string) string {
	return strings.Replace(cfg, "      "+key+": {argv: [", "      "+key+`: {argv: ["`+wrapper+`", `, 1)
}

// lockHolderPID reads who holds staging's lock file, waiting until it is held.
func lockHolderPID(t *testing.T, w *e2eWorld) int {
	t.Helper()
	path := filepath.Join(w.dir, "state", "staging.lock")
	var h lock.Holder
	eventually(t, 30*time.Second, 100*time.Millisecond, "the lock file naming its holder", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && json.Unmarshal(b, &h) == nil && h.PID > 0
	})
	return h.PID
}

// finalOutcomes are the R-steps and steps the journal closed, by name.
func journalOutcomes(t *testing.T, w *e2eWorld, step string) map[string]journal.Record {
	t.Helper()
	out := map[string]journal.Record{}
	for _, r := range w.timeline("staging") {
		if r.Kind == journal.KindOutcome && r.Step == step {
			out[r.Check] = r
		}
	}
	return out
}

func testOperateSignalMidRollback(t *testing.T, bin string, sig syscall.Signal) {
	tmux := toolBinary(t, "tmux", "signal", "apt-get install -y tmux")
	slow := writeScript(t, t.TempDir(), "slow-freeze", `case "$*" in *shadow_only*) sleep 10;; esac; exec "$@"`)
	w := newE2EWorld(t, bin, func(cfg string) string { return wrapActuator(cfg, "set_rust_write_mode", slow) })
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")

	logFile := filepath.Join(t.TempDir(), "operate.log")
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("operate's log:\n%s", b)
		}
	})
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+w.dbURL, bin, "operate", "--config", w.config, "--env", "staging",
		"--log-file", logFile)
	op.waitFor("the panes", 40*time.Second, screenPanesLive)
	op.keys("r")
	op.waitFor("the rollback confirm dialog", 30*time.Second, func(s string) bool { return strings.Contains(s, "CONFIRM rollback") })
	if strings.Contains(op.capture(), "override reason") {
		op.literal("signal test")
	}
	op.waitConfirmable()
	op.keys("Enter")
	pid := lockHolderPID(t, w)
	// Mid-rollback: R1's actuator is running its 10s, however long a busy
	// machine took to start it.
	eventually(t, 30*time.Second, 100*time.Millisecond, "R1's slow actuator running", func() bool {
		out, _ := exec.Command("pgrep", "-f", slow).Output()
		return len(out) > 0
	})
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signalling operate (pid %d): %v", pid, err)
	}
	exited := regexp.MustCompile(`cockpit exited (\d+)`)
	op.waitFor("operate to finish the rollback and exit", 90*time.Second, func(s string) bool { return exited.MatchString(s) })
	if code, _ := strconv.Atoi(exited.FindStringSubmatch(op.capture())[1]); code == 0 {
		t.Errorf("operate exited 0 after a %v in the middle of a rollback", sig)
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the %v the world is %+v, want rolled back", sig, st)
	}
	outcomes := journalOutcomes(t, w, "rollback")
	for _, r := range []string{"R1 set_rust_write_mode=shadow_only", "R2 set_legacy_freeze=false", "R3 route_writes=legacy", "R4 collect artifacts", ""} {
		if _, ok := outcomes[r]; !ok {
			t.Errorf("the journal has no outcome for %q after the %v", r, sig)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", slow).Output(); len(out) > 0 {
		t.Errorf("an actuator outlived operate: %s", out)
	}
}

func testRollbackPreemptsAForwardStep(t *testing.T, bin string) {
	// S1's route to Rust never takes effect, so S1 sits verifying it (up
	// to raceVerifyTimeout, which also bounds the rollback's watch after
	// its takeover).
	stuck := writeScript(t, t.TempDir(), "stuck-route", `case "$*" in *" rust"*) exit 0;; esac; exec "$@"`)
	w := newE2EWorld(t, bin, func(cfg string) string {
		return verifyTimeout(t, wrapActuator(cfg, "route_writes", stuck), raceVerifyTimeout)
	})
	s1 := w.command(map[string]string{"DB_URL": w.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1")
	must(t, s1.Start())
	eventually(t, 30*time.Second, 200*time.Millisecond, "S1 verifying its route", func() bool {
		for _, r := range w.timeline("staging") {
			if r.Kind == journal.KindIntent && r.Step == "S1" && strings.HasPrefix(r.Check, "route_writes") {
				return true
			}
		}
		return false
	})
	start := time.Now()
	out, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack {
		t.Fatalf("rollback while S1 held the lock: exit %d, want 6\n%s\n%s", code, out, errOut)
	}
	if err := s1.Wait(); err == nil || s1.ProcessState.ExitCode() == 0 {
		t.Errorf("the preempted S1 exited 0 (%v)", err)
	}
	t.Logf("rollback with preemption took %s", time.Since(start))
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback the world is %+v", st)
	}
	var preempted, interrupted bool
	for _, r := range w.timeline("staging") {
		preempted = preempted || (r.Step == "rollback" && r.Check == "lock" && strings.Contains(r.Message, "took the lock over"))
		interrupted = interrupted || (r.Step == "S1" && r.Kind == journal.KindOutcome && r.Check == "" && strings.Contains(r.Message, "interrupted"))
	}
	if !preempted || !interrupted {
		t.Errorf("journal: handover %t, S1 closed as interrupted %t; want both", preempted, interrupted)
	}
}

func testSilentLockDatabase(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	// A database that accepts and never answers: no real PostgreSQL does
	// that on demand, a bare listener does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	silent := map[string]string{"DB_URL": "postgres://u:p@" + ln.Addr().String() + "/db?sslmode=disable"}
	start := time.Now()
	_, errOut, code := w.cockpitEnv(silent, "rollback", "--env", "staging", "--approve", "rollback")
	took := time.Since(start)
	if code != exitRolledBack {
		t.Fatalf("rollback with a silent lock database: exit %d, want 6\n%s", code, errOut)
	}
	t.Logf("rollback with a silent lock database took %s (lock_timeout 5s)", took)
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback the world is %+v", st)
	}
}
