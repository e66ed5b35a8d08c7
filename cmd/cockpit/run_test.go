package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/lock"
)

// actingWorld is a config whose runtimes and Prometheus are unreachable
// (every observation is UNKNOWN) and whose actuators are scripts that
// record their arguments in calls.log.
type actingWorld struct {
	dir, config, calls string
}

func newActingWorld(t testing.TB, production bool) *actingWorld {
	t.Helper()
	dir := t.TempDir()
	w := &actingWorld{dir: dir, config: filepath.Join(dir, "cockpit.yaml"), calls: filepath.Join(dir, "calls.log")}
	act := filepath.Join(dir, "act")
	if err := os.WriteFile(act, []byte("#!/bin/sh\necho \"$@\" >> \""+w.calls+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	name := "staging"
	if production {
		name = "production"
	}
	cfg := `state_dir: ` + filepath.Join(dir, "state") + `
operator: alice
refresh: 1s
environments:
  ` + name + `:
    production: ` + map[bool]string{true: "true", false: "false"}[production] + `
    prometheus: {url: "http://127.0.0.1:1"}
    rust_runtime: {url: "http://127.0.0.1:1"}
    legacy_runtime: {url: "http://127.0.0.1:1"}
    parity: {reports: "` + filepath.Join(dir, "reports", "*.json") + `"}
    verify_timeout: 1s
    soak: 1s
    actuators:
      set_rust_write_mode: {argv: ["` + act + `", "mode", "{{.Mode}}"]}
      set_legacy_freeze: {argv: ["` + act + `", "freeze", "{{.Freeze}}"]}
      route_writes: {argv: ["` + act + `", "route", "{{.Target}}"]}
      set_cohort: {argv: ["` + act + `", "cohort", "{{.Percent}}"]}
`
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *actingWorld) callLog() string {
	b, _ := os.ReadFile(w.calls)
	return string(b)
}

func TestRunWithoutApprovalExits3AndChangesNothing(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	code, _, stderr := runCockpit(t, "run", "S1", "--config", w.config, "--env", "staging", "--approve", "V1")
	if code != exitNeedsApproval || !strings.Contains(stderr, "--approve S1") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if w.callLog() != "" {
		t.Error("an actuator ran without approval")
	}
	code, _, _ = runCockpit(t, "rollback", "--config", w.config, "--env", "staging")
	if code != exitNeedsApproval || w.callLog() != "" {
		t.Errorf("rollback without approval: exit %d, calls %q", code, w.callLog())
	}
}

func TestRunRefusesUnknownGatesAndProductionWithoutTypedName(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	code, stdout, stderr := runCockpit(t, "run", "S1", "--config", w.config, "--env", "staging", "--approve", "S1")
	if code != exitNeedsApproval || !strings.Contains(stderr, "gates are not green") || w.callLog() != "" {
		t.Fatalf("red gates: exit %d, stderr %q, calls %q", code, stderr, w.callLog())
	}
	if !strings.Contains(stdout, "gate  P1") {
		t.Errorf("the plan's gates were not shown: %q", stdout)
	}

	p := newActingWorld(t, true)
	code, _, stderr = runCockpit(t, "run", "S4", "--config", p.config, "--env", "production", "--approve", "S4",
		"--override-reason", "drill")
	if code != exitNeedsApproval || !strings.Contains(stderr, "type its name") || p.callLog() != "" {
		t.Errorf("production without --confirm-env: exit %d, stderr %q", code, stderr)
	}
}

func TestRunWithOverrideActsAndExits5WhenTheStateIsNotObserved(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	code, stdout, _ := runCockpit(t, "run", "S1", "--config", w.config, "--env", "staging", "--approve", "S1",
		"--override-reason", "rehearsal without prometheus", "-o", "json")
	if code != exitActionFailed {
		t.Fatalf("exit %d, want 5; stdout %s", code, stdout)
	}
	if w.callLog() != "mode rust_active\n" {
		t.Errorf("calls %q: S1 must stop after its first unverified sub-step", w.callLog())
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !strings.HasPrefix(line, `{"`) {
			t.Errorf("-o json printed a non-JSON line %q", line)
		}
	}
	if !strings.Contains(stdout, `"type":"outcome"`) {
		t.Errorf("no outcome event: %s", stdout)
	}
}

// Exit 6 says the rollback worked; here nothing can verify R1–R3, so the
// rollback runs to its end (every call made, artifacts collected) and
// exits 5 naming the unverified steps.
func TestRollbackUnverifiedExits5NamingTheStepsAndTimelineShowsIt(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	code, stdout, stderr := runCockpit(t, "rollback", "--config", w.config, "--env", "staging", "--approve", "rollback")
	if code != exitActionFailed {
		t.Fatalf("exit %d, want 5; stderr %q", code, stderr)
	}
	if w.callLog() != "mode shadow_only\nfreeze false\nroute legacy\n" {
		t.Errorf("R1–R3 calls %q", w.callLog())
	}
	if !strings.Contains(stderr, "R1, R2, R3") || !strings.Contains(stdout, "artifacts in ") {
		t.Errorf("stderr %q stdout %q", stderr, stdout)
	}
	arts, _ := filepath.Glob(filepath.Join(w.dir, "state", "staging", "artifacts", "rollback-*.tar.gz"))
	if len(arts) != 1 {
		t.Errorf("artifact archives: %v", arts)
	}

	code, md, _ := runCockpit(t, "timeline", "--config", w.config, "--env", "staging", "-o", "markdown")
	if code != exitOK || !strings.Contains(md, "| approval |") || !strings.Contains(md, "R2 set_legacy_freeze=false: ") {
		t.Errorf("timeline exit %d:\n%s", code, md)
	}
}

func TestRollbackWhileLockedExits5NamingTheHolder(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	lease, err := lock.FileLock(filepath.Join(w.dir, "state", "staging.lock")).Acquire(t.Context(),
		lock.Holder{Operator: "bob", Host: "laptop", PID: 77, Env: "staging", Step: "S1", Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	code, _, stderr := runCockpit(t, "rollback", "--config", w.config, "--env", "staging", "--approve", "rollback")
	if code != exitActionFailed || !strings.Contains(stderr, "bob@laptop pid 77") || w.callLog() != "" {
		t.Errorf("exit %d stderr %q calls %q", code, stderr, w.callLog())
	}
}

func TestRunCheckOnlyAndUsageExitCodes(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	code, stdout, _ := runCockpit(t, "run", "P1", "--config", w.config, "--env", "staging", "--approve", "P1")
	if code != exitUnknown || !strings.Contains(stdout, "P1 FAILED: P1 UNKNOWN") {
		t.Errorf("P1 with no report: exit %d, want 2; %q", code, stdout)
	}
	if code, _, _ := runCockpit(t, "run", "S1", "--config", filepath.Join(w.dir, "missing.yaml"), "--approve", "S1"); code != exitUsage {
		t.Errorf("missing config: exit %d, want 4", code)
	}
	if code, _, _ := runCockpit(t, "run", "R1", "--config", w.config, "--approve", "R1"); code != exitUsage {
		t.Errorf("run R1: exit %d, want 4", code)
	}
	if code, _, _ := runCockpit(t, "timeline", "--config", w.config, "-o", "yaml"); code != exitUsage {
		t.Errorf("timeline -o yaml: exit %d, want 4", code)
	}
}

// Messages for operators name the thing and the fix.
func TestUsageMessagesSayWhatToDo(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "config.yaml")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"run"}, []string{"run needs one STEP", "S1–S4", "--approve S1"}},
		{[]string{"check"}, []string{"preconditions, verify, incidents or all"}},
		{[]string{"check", "all", "--config", missing}, []string{"no config at " + missing, "--config", "cockpit rehearse", "cockpit config example"}},
	} {
		code, _, stderr := runCockpit(t, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 4", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: %q does not say %q", c.args, stderr, w)
			}
		}
	}
}
