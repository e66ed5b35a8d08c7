package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestFaithfulToTheRunbookEndToEnd drives the built binary against
// rehearsal worlds that export only what the real deployment exports: the
// runbook's order, one writer at a time, verdicts from the sources that
// exist when Prometheus does not, and data that goes stale when scrapes stop.
func TestFaithfulToTheRunbookEndToEnd(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"steps run in the runbook's order, once", testStepsInOrderOnce},
		{"critical parity fires from the reports with Prometheus down", testParityFromReports},
		{"two writers are an incident", testTwoWriters},
		{"stopped scrapes turn signals stale and hold the gates", testScrapesStopped},
	})
}

func testStepsInOrderOnce(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	controls := len(w.state("staging").Controls)

	// S3 before S2: refused, naming S2, nothing run.
	_, errOut, code := w.cockpit("run", "S3", "--env", "staging", "--approve", "S3")
	if code != exitNeedsApproval || !strings.Contains(errOut, "S2") || !strings.Contains(errOut, "write probe") {
		t.Fatalf("run S3 right after S1: exit %d, want 3 naming S2's missing write probe:\n%s", code, errOut)
	}

	// S1 again: every control is already in place, none is applied again.
	out := w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	if strings.Count(out, "already in place") < 3 {
		t.Errorf("second S1 does not say its three sub-steps are already in place:\n%s", out)
	}
	if got := len(w.state("staging").Controls); got != controls {
		t.Errorf("second S1 applied %d control(s) again (a new Rust revision loses every run)", got-controls)
	}

	// Production waits for staging's runbook in the journal.
	_, errOut, code = w.cockpit("run", "S4", "--env", "production", "--approve", "S4", "--confirm-env", "production")
	if code != exitNeedsApproval || !strings.Contains(errOut, "staging.done") || !strings.Contains(errOut, "S2 not done after S1") {
		t.Fatalf("run S4 before staging's S2: exit %d, want 3 naming what staging lacks:\n%s", code, errOut)
	}

	w.mustRun(0, "run", "S2", "--env", "staging", "--approve", "S2")
	w.mustRun(0, "run", "S3", "--env", "staging", "--approve", "S3")
}

// incidentLines is `check incidents -o json` keyed by incident name.
func incidentLines(t *testing.T, w *e2eWorld, env string) (int, map[string]checkLine) {
	t.Helper()
	out, errOut, code := w.cockpit("check", "incidents", "--env", env, "-o", "json")
	var rep struct {
		Checks []checkLine `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check incidents -o json (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	byName := map[string]checkLine{}
	for _, c := range rep.Checks {
		if i := strings.LastIndex(c.Title, "("); i >= 0 {
			byName[strings.TrimSuffix(c.Title[i+1:], ")")] = c
		}
	}
	return code, byName
}

func testParityFromReports(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.ctl("staging", "fault", "critical-parity", "on")
	w.ctl("staging", "parity-run")
	w.ctl("staging", "fault", "prometheus-outage", "on")

	code, inc := incidentLines(t, w, "staging")
	i1 := inc["critical_parity"]
	if code != exitCheckFailed || i1.Verdict != "FAIL" || !strings.Contains(i1.Evidence, "parity-") || !strings.Contains(i1.Evidence, ".json") {
		t.Fatalf("check incidents with Prometheus down and a critical report: exit %d, I1 %+v; want exit 1, firing, naming the report file", code, i1)
	}
	if inc["write_error_spike"].Verdict != "UNKNOWN" {
		t.Errorf("I2 with Prometheus down: %+v, want UNKNOWN", inc["write_error_spike"])
	}
	code, pre := w.checkJSON("staging", "preconditions")
	if p2 := pre["P2"]; code != exitCheckFailed || p2.Verdict != "FAIL" || !strings.Contains(p2.Evidence, ".json") {
		t.Errorf("check preconditions: exit %d, P2 %+v; want exit 1, FAIL naming the report", code, p2)
	}
}

func testTwoWriters(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	if code, inc := incidentLines(t, w, "staging"); code != 0 || inc["exactly_one_writer"].Verdict != "PASS" {
		t.Fatalf("before the cutover: exit %d, writers %+v; want 0, OK", code, inc["exactly_one_writer"])
	}
	// What a killed S1 leaves: Rust took writes, legacy was never frozen.
	// Both must happen: Rust accepting writes none is routed to, with no
	// mode change journaled, is a deployment whose mode variable is unset
	// (issue 15), not two writers (topology_e2e_test.go).
	w.ctl("staging", "set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active")
	w.ctl("staging", "route-writes", "rust")
	var code int
	var wr checkLine
	eventually(t, time.Minute, time.Second, "exactly_one_writer firing once writes reach rust beside an unfrozen legacy", func() bool {
		var inc map[string]checkLine
		code, inc = incidentLines(t, w, "staging")
		wr = inc["exactly_one_writer"]
		return wr.Verdict == "FAIL"
	})
	if code != exitCheckFailed || !strings.Contains(wr.Evidence, "BOTH") || !strings.Contains(wr.Evidence, "roll back") {
		t.Fatalf("both runtimes accepting writes: exit %d, writers %+v; want exit 1, FIRING with a recommendation", code, wr)
	}
	status, _, _ := w.cockpit("status", "--env", "staging")
	if !strings.Contains(status, "exactly one writer") || !strings.Contains(status, "FIRING") {
		t.Errorf("status does not show the two writers:\n%s", status)
	}
}

func testScrapesStopped(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.ctl("staging", "fault", "scrapes-stopped", "on")
	stopped := time.Now()
	// stale_after is 10s in the rehearsal: by then every Prometheus-fed
	// check holds, although the queries still answer.
	eventually(t, 30*time.Second, time.Second, "signals stale after scrapes stopped", func() bool {
		_, v := w.checkJSON("staging", "verify")
		code, inc := incidentLines(t, w, "staging")
		// Before the cutover V4 awaits S1; its current verdict is still shown.
		return strings.Contains(v["V4"].Evidence, "UNKNOWN") && strings.Contains(v["V4"].Evidence, "stale") &&
			code == exitUnknown && strings.Contains(inc["unbounded_drift"].Evidence, "stale")
	})
	if d := time.Since(stopped); d < 5*time.Second {
		t.Errorf("stale %s after the scrapes stopped: the age is the query's, not the data's", d)
	}
	_, errOut, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != exitNeedsApproval || !strings.Contains(errOut, "stale") {
		t.Errorf("run S1 on stale data: exit %d, want 3 naming stale data:\n%s", code, errOut)
	}
}
