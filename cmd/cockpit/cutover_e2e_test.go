package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
)

// TestCutoverEndToEnd drives the built binary through the whole runbook
// against rehearsal worlds, one world per subtest, the way an operator's
// script would: only exit codes, printed output, `rehearse ctl state` (what
// the world says) and `timeline -o json` (what the journal says) count.
//
// The world's production soak is 10s per cohort; the cutover subtest
// rewrites it to 2s, and the error spike's `for` to spikeFor, so the whole
// file stays within a few minutes. Every other timing (the other
// incidents' `for: 30s`, the 10s write-share window, the 300ms redeploy)
// is the world's own.
func TestCutoverEndToEnd(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"cutover, incident, rollback", testCutoverIncidentRollback},
		{"gates hold on missing approval, Prometheus outage and a garbage parity report", testGatesHold},
		{"a second run is refused while the first holds the lock", testSecondRunRefused},
		{"a hung actuator is killed at its timeout", testHungActuator},
		{"the advisory lock guards the environment; a DB outage never blocks a rollback", testAdvisoryLock},
	})
}

// spikeFor is the error spike's `for` in the cutover subtest: long enough
// for a poll every 2s to see it pending first.
const spikeFor = 10 * time.Second

func testCutoverIncidentRollback(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, func(cfg string) string {
		return incidentFor(t, strings.ReplaceAll(cfg, "soak: 10s", "soak: 2s"), "write_error_spike", spikeFor)
	})

	// Preconditions, then S1 on staging.
	w.mustRun(0, "check", "preconditions", "--env", "staging")
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	st := w.state("staging")
	if st.RustWriteMode != "rust_active" || !st.LegacyWriteFreeze || st.WriteTarget != "rust" {
		t.Fatalf("after S1 the world says %+v, want rust_active, legacy frozen, writes → rust", st)
	}
	// V1 awaits S2's write probe (not red: S2 has not run; it holds the
	// exit code, the cutover is not proven yet); the rest of the checklist
	// holds now.
	code, v := w.checkJSON("staging", "verify")
	if code != exitUnknown || v["V1"].Verdict != "AWAITS" || v["V1"].Awaits != "S2" || !strings.Contains(v["V1"].Evidence, "write probe") ||
		v["V2"].Verdict != "PASS" || !strings.Contains(v["V2"].Evidence, "410") {
		t.Errorf("verify after S1: exit %d, V1 %+v, V2 %+v: want V1 waiting for a write probe, V2 legacy answering 410", code, v["V1"], v["V2"])
	}

	// Prometheus down mid-run: the incidents hold (exit 2, nothing failed),
	// the next step is refused on the UNKNOWN gates, and it all recovers.
	w.ctl("staging", "fault", "prometheus-outage", "on")
	if code, _ := incidentLines(t, w, "staging"); code != 2 {
		t.Errorf("check incidents during a Prometheus outage after S1: exit %d, want 2", code)
	}
	// After S1, P3 reads no Prometheus: the legacy projection metrics are
	// n/a (legacy no longer projects) and the Rust projector endpoints judge.
	assertPrometheusUnknown(t, w, "staging", "V4", "I2")
	if _, errOut, code := w.cockpit("run", "S2", "--env", "staging", "--approve", "S2"); code != 3 || !strings.Contains(errOut, "UNKNOWN") {
		t.Errorf("run S2 during the outage: exit %d, want 3 with the UNKNOWN gates:\n%s", code, errOut)
	}
	w.ctl("staging", "fault", "prometheus-outage", "off")
	eventually(t, 20*time.Second, time.Second, "check incidents recovering after the outage", func() bool {
		_, _, code := w.cockpit("check", "incidents", "--env", "staging")
		return code == 0
	})

	// S2: the write probe shows every artifact moved.
	out := w.mustRun(0, "run", "S2", "--env", "staging", "--approve", "S2")
	for _, want := range []string{"write_probe.create", "write_probe.receipt", "write_probe.replay", "write_probe.summary", "write_probe.checkpoint", "write_probe.drift"} {
		if !strings.Contains(out, want) || strings.Contains(out, want+" FAIL") {
			t.Errorf("S2 output does not show %s passing:\n%s", want, out)
		}
	}
	w.mustRun(0, "check", "verify", "--env", "staging")
	// S3: the harness runs now, into a report of its own, which allows.
	if out := w.mustRun(0, "run", "S3", "--env", "staging", "--approve", "S3"); !strings.Contains(out, `decision "allow"`) || !strings.Contains(out, "parity-staging-") {
		t.Errorf("S3 output does not show its own report allowing:\n%s", out)
	}
	// Staging's checklist, journaled: production's S4 waits for it.
	for _, item := range []string{"V2", "V3", "V4"} {
		w.mustRun(0, "run", item, "--env", "staging", "--approve", item)
	}

	// S4: production needs its name typed, then walks every cohort to 100%.
	w.mustRun(3, "run", "S4", "--env", "production", "--approve", "S4")
	out = w.mustRun(0, "run", "S4", "--env", "production", "--approve", "S4", "--confirm-env", "production")
	for _, pct := range []string{"set_cohort=5", "set_cohort=25", "set_cohort=50", "set_cohort=100"} {
		if !strings.Contains(out, pct+": verified") {
			t.Errorf("S4 did not verify %s:\n%s", pct, out)
		}
	}
	st = w.state("production")
	if st.RustWriteMode != "rust_active" || !st.LegacyWriteFreeze || st.WriteTarget != "rust" || st.CohortPercent != 100 {
		t.Fatalf("after S4 production is %+v", st)
	}
	// One authority per run through every cohort: no append of S4's
	// cohorts reached a runtime without its run (the write path's 404s
	// over 5m, which covers the whole S4), as the world counts too.
	if _, inc := incidentLines(t, w, "production"); inc["misrouted_writes"].Verdict != "PASS" || !strings.Contains(inc["misrouted_writes"].Evidence, "→ 0 →") {
		t.Errorf("misrouted_writes after S4: %s %s, want PASS at 0", inc["misrouted_writes"].Verdict, inc["misrouted_writes"].Evidence)
	}
	if st.MisroutedWrites != 0 || st.CohortMode != "sticky per user" {
		t.Errorf("the world after S4: %d misrouted appends, cohort %s; want none, sticky per user", st.MisroutedWrites, st.CohortMode)
	}
	// S4 restarted production's Rust runtime: V1 awaits its own write probe
	// (a hold, exit 2, not a failure).
	w.mustRun(exitUnknown, "check", "verify", "--env", "production")
	w.mustRun(0, "run", "V1", "--env", "production", "--approve", "V1", "--confirm-env", "production")
	w.mustRun(0, "check", "verify", "--env", "production")
	// The world's metrics are the real deployment's (no counter before its
	// first event, a lag summary that never fills, Khala quiet after S1):
	// every gate above was earned, none overridden.
	for _, env := range []string{"staging", "production"} {
		for _, r := range w.timeline(env) {
			if r.Kind == journal.KindOverride {
				t.Errorf("%s journaled an override during the cutover: %+v", env, r)
			}
		}
	}

	// An error spike: pending (exit 2) until its `for` (spikeFor) has
	// passed in the data, then firing (exit 1), never firing before.
	w.mustRun(0, "check", "incidents", "--env", "production")
	// Taken before the request, so it is never later than the fault: the
	// "not before 30s" bound below cannot fail on a slow control call.
	faultOn := time.Now()
	w.ctl("production", "fault", "error-spike", "on")
	var codes []int
	eventually(t, 90*time.Second, 2*time.Second, "the error spike firing", func() bool {
		_, _, code := w.cockpit("check", "incidents", "--env", "production")
		if code == 1 && time.Since(faultOn) < spikeFor {
			t.Fatalf("check incidents fired %s after the fault, before its for: %s", time.Since(faultOn), spikeFor)
		}
		codes = append(codes, code)
		return code == 1
	})
	if !slices.Contains(codes, 2) {
		t.Errorf("check incidents exit codes %v: want pending (2) before firing (1)", codes)
	}

	// Rollback: exit 6, the world back where it started, artifacts kept.
	out = w.mustRun(6, "rollback", "--env", "production", "--approve", "rollback", "--confirm-env", "production")
	st = w.state("production")
	if st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after rollback production is %+v, want shadow_only, legacy unfrozen, writes → legacy", st)
	}
	dirs, _ := filepath.Glob(filepath.Join(w.dir, "state", "production", "artifacts", "rollback-*"))
	var dir string
	for _, d := range dirs {
		if !strings.HasSuffix(d, ".tar.gz") {
			dir = d
		}
	}
	if dir == "" || !strings.Contains(out, dir) {
		t.Fatalf("no rollback artifact directory named in the output (found %v):\n%s", dirs, out)
	}
	for _, f := range []string{"timeline.md", "signals.json", "journal.jsonl"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("artifact %s missing or empty: %v", f, err)
		}
	}
	if reports, _ := filepath.Glob(filepath.Join(dir, "parity", "*.json")); len(reports) == 0 {
		t.Errorf("no parity reports in %s", dir)
	}
	if _, err := os.Stat(dir + ".tar.gz"); err != nil {
		t.Errorf("no archive next to the artifacts: %v", err)
	}
}

func testGatesHold(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)

	// No --approve: exit 3, and the world saw no control at all.
	before := w.state("staging")
	_, errOut, code := w.cockpit("run", "S1", "--env", "staging")
	if code != 3 || !strings.Contains(errOut, "--approve S1") {
		t.Fatalf("run S1 without --approve: exit %d (%s), want 3 naming --approve S1", code, errOut)
	}
	if after := w.state("staging"); len(after.Controls) != 0 || after.RustWriteMode != before.RustWriteMode ||
		after.LegacyWriteFreeze != before.LegacyWriteFreeze || after.WriteTarget != before.WriteTarget {
		t.Fatalf("run S1 without --approve changed the world: %+v → %+v", before, after)
	}

	// Prometheus down before S1: the checks it feeds turn UNKNOWN with the
	// reason (exit 2 where nothing else fails) and S1 is refused on them.
	w.ctl("staging", "fault", "prometheus-outage", "on")
	if code, _ := w.checkJSON("staging", "preconditions"); code != 2 {
		t.Errorf("check preconditions during a Prometheus outage: exit %d, want 2", code)
	}
	assertPrometheusUnknown(t, w, "staging", "P3", "V4", "I2")
	_, errOut, code = w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != 3 || !strings.Contains(errOut, "UNKNOWN") {
		t.Errorf("run S1 during the outage: exit %d, want 3 with the UNKNOWN gates:\n%s", code, errOut)
	}
	if after := w.state("staging"); len(after.Controls) != 0 {
		t.Errorf("a refused S1 applied controls: %+v", after.Controls)
	}
	w.ctl("staging", "fault", "prometheus-outage", "off")
	eventually(t, 20*time.Second, time.Second, "checks recovering after the outage", func() bool {
		_, _, code := w.cockpit("check", "preconditions", "--env", "staging")
		return code == 0
	})

	// A garbage report as the newest parity file: P1 is UNKNOWN, never PASS.
	garbage := filepath.Join(w.dir, "reports", "staging", "parity-99991231T235959Z-garbage.json")
	must(t, os.WriteFile(garbage, []byte(`{"schema":"openagents.runtime.shadow_parity.v1","gate":{"decision":`), 0o644))
	code, checks := w.checkJSON("staging", "preconditions")
	if checks["P1"].Verdict != "UNKNOWN" || !strings.Contains(checks["P1"].Evidence, "garbage") || code != 2 {
		t.Errorf("P1 on a garbage report = %s %q (exit %d), want UNKNOWN naming the file, exit 2", checks["P1"].Verdict, checks["P1"].Evidence, code)
	}
}

func testSecondRunRefused(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	first := w.command(map[string]string{"DB_URL": w.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1")
	stdout := &testsvc.LockedBuffer{}
	first.Stdout = stdout
	must(t, first.Start())
	t.Cleanup(func() { _ = first.Wait() })
	eventually(t, 20*time.Second, 100*time.Millisecond, "the first run starting", func() bool {
		return strings.Contains(stdout.String(), "started")
	})

	_, errOut, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != 5 {
		t.Fatalf("second run while the first holds the lock: exit %d, want 5\n%s", code, errOut)
	}
	for _, want := range []string{"lock held by", "pid ", "since ", "running S1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal %q does not say %q", errOut, want)
		}
	}
	if err := first.Wait(); err != nil {
		t.Errorf("the first run must finish unharmed: %v\n%s", err, stdout.String())
	}
}

func testHungActuator(t *testing.T, bin string) {
	hang := writeScript(t, t.TempDir(), "hang", "sleep 600")
	// Staging's actuator hangs (production keeps its own: identical
	// actuators in both are refused by config validation). After the
	// timeout the world is observed until verify_timeout, 3s here.
	w := newE2EWorld(t, bin, func(cfg string) string {
		lines := strings.Split(cfg, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "      set_rust_write_mode: ") {
				lines[i] = `      set_rust_write_mode: {argv: ["` + hang + `"], timeout: 2s}`
				break
			}
		}
		return verifyTimeout(t, strings.Join(lines, "\n"), 3*time.Second)
	})
	start := time.Now()
	_, _, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != 5 {
		t.Errorf("S1 with a hung actuator: exit %d, want 5", code)
	}
	// About 5s is expected (2s timeout, 3s verify_timeout); an actuator
	// never killed sleeps 600s. 90s fails only on the latter, not on a slow
	// machine under -race.
	if took := time.Since(start); took > 90*time.Second {
		t.Errorf("S1 took %s: the hung actuator was not killed at its 2s timeout", took)
	}
	var intent, outcome *journal.Record
	for _, r := range w.timeline("staging") {
		if r.Step == "S1" && strings.HasPrefix(r.Check, "set_rust_write_mode") {
			switch r.Kind {
			case journal.KindIntent:
				intent = &r
			case journal.KindOutcome:
				outcome = &r
			}
		}
	}
	if intent == nil || !slices.Contains(intent.Argv, hang) {
		t.Errorf("the journal has no intent naming the hung argv: %+v", intent)
	}
	if outcome == nil || outcome.OK == nil || *outcome.OK || !strings.Contains(outcome.Message, "actuator timed out and the change is not observed") {
		t.Errorf("the journal's outcome should be a failure at the timeout, the change not observed: %+v", outcome)
	}
	if st := w.state("staging"); len(st.Controls) != 0 || st.WriteTarget != "legacy" {
		t.Errorf("S1 went on after its first sub-step failed: %+v", st)
	}
}

func testAdvisoryLock(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)

	// Another operator holds the environment's advisory lock: the lock file
	// on this machine is free, and the run is still refused, naming them.
	lease, err := lock.PostgresLock(w.dbURL, lock.EnvKey("staging")).Acquire(t.Context(),
		lock.Holder{Operator: "alice", Host: "ops-box", PID: 4242, Env: "staging", Step: "S2", Since: time.Now().Add(-time.Minute)})
	must(t, err)
	_, errOut, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != 5 || !strings.Contains(errOut, "alice@ops-box pid 4242") || !strings.Contains(errOut, "running S2") {
		t.Errorf("run while alice holds the advisory lock: exit %d %q, want 5 naming alice", code, errOut)
	}
	must(t, lease.Release())
	if st := w.state("staging"); len(st.Controls) != 0 {
		t.Errorf("a refused run applied controls: %+v", st.Controls)
	}

	// The database is unreachable: a forward step refuses with the reason
	// (its P4 gate is overridden so the lock is what stops it) ...
	down := map[string]string{"DB_URL": "postgres://nobody:secret@127.0.0.1:1/cockpit?sslmode=disable&connect_timeout=2"}
	_, errOut, code = w.cockpitEnv(down, "run", "S1", "--env", "staging", "--approve", "S1", "--override-reason", "database maintenance")
	if code != 5 || !strings.Contains(errOut, "unreachable") {
		t.Errorf("forward step with the lock database down: exit %d %q, want 5 with the reason", code, errOut)
	}
	if st := w.state("staging"); len(st.Controls) != 0 {
		t.Errorf("a forward step ran without its lock: %+v", st.Controls)
	}
	// ... and a rollback runs anyway, under the file lock, saying so.
	_, errOut, code = w.cockpitEnv(down, "rollback", "--env", "staging", "--approve", "rollback")
	if code != 6 {
		t.Fatalf("rollback with the lock database down: exit %d, want 6\n%s", code, errOut)
	}
	// The world never left legacy: every R-step is already in place and
	// none is applied again, but the rollback runs to its end (R4 included).
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" || len(st.Controls) != 0 {
		t.Errorf("rollback of an untouched world: %+v, want it unchanged with no control applied", st)
	}
	inPlace := 0
	for _, r := range w.timeline("staging") {
		if r.Step == "rollback" && r.Kind == journal.KindOutcome && strings.Contains(r.Message, "already in place") {
			inPlace++
		}
	}
	if inPlace != 3 {
		t.Errorf("rollback journaled %d R-steps already in place, want R1–R3", inPlace)
	}
	noted := slices.ContainsFunc(w.timeline("staging"), func(r journal.Record) bool {
		return r.Check == "lock" && strings.Contains(r.Message, "file lock")
	})
	if !noted {
		t.Error("the journal does not note the rollback's fall back to the file lock")
	}
}

// assertPrometheusUnknown: every Prometheus-fed check of ids is UNKNOWN and
// says why, with its data age ("never" in a process that never got an answer).
func assertPrometheusUnknown(t *testing.T, w *e2eWorld, env string, ids ...string) {
	t.Helper()
	out, _, _ := w.cockpit("check", "all", "--env", env)
	for _, id := range ids {
		var line string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, id+" ") {
				line = l
				break
			}
		}
		if !strings.Contains(line, "UNKNOWN") || !strings.Contains(line, "query error") || !strings.HasSuffix(line, ")") {
			t.Errorf("%s during the outage: %q, want UNKNOWN with the query error and an age", id, line)
		}
	}
}
