package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// TestProductionEarnsItsOwnParityReport: the world's production has its
// own parity source, as the example's does (a capture, then the harness's
// CLI on it), so S3 runs there before S4, gated by health, not by S2 (which
// production cannot show before S4), and writes production's own report:
// the one S4's parity gates judge. Beside it, a critical diff in that
// capture blocks S3 there, naming the diff.
func TestProductionEarnsItsOwnParityReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S3 in a rehearsal world's production")
	}
	t.Parallel()
	w := newE2EWorld(t, cockpitBinary(t), nil)
	s3 := []string{"run", "S3", "--env", "production", "--approve", "S3", "--confirm-env", "production"}
	out := w.mustRun(exitOK, s3...)
	if strings.Contains(out, "override") {
		t.Errorf("S3 in production needed an override:\n%s", out)
	}
	var report string
	subSteps := map[string]bool{}
	for _, r := range w.timeline("production") {
		if r.Kind == journal.KindOutcome && r.Step == "S3" && r.OK != nil && *r.OK {
			subSteps[r.Check] = true
		}
		if r.Kind == journal.KindIntent && r.Step == "S3" && r.Check == "parity_harness" {
			for i, a := range r.Argv {
				if a == "--output" && i+1 < len(r.Argv) {
					report = r.Argv[i+1]
				}
			}
		}
	}
	if !subSteps["parity_capture"] || !subSteps["parity_harness"] {
		t.Errorf("S3 in production did not capture then compare: sub-steps done %v", subSteps)
	}
	if report == "" || !strings.Contains(filepath.Base(report), "parity-production-") {
		t.Fatalf("S3's harness wrote no production report (argv output %q)", report)
	}
	if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), `"decision": "allow"`) && !strings.Contains(string(b), `"decision":"allow"`) {
		t.Errorf("production's report %s: %v\n%s", report, err, b)
	}

	// A critical diff: the world's own reports make I1 fire, which holds
	// S3; overridden, S3's own capture and harness block it, naming the step.
	w.ctl("production", "fault", "critical-parity", "on")
	eventually(t, worldReadyBudget, 500*time.Millisecond, "S3 held by I1 critical_parity", func() bool {
		stdout, stderr, code := w.cockpit(s3...)
		return code == exitNeedsApproval && strings.Contains(stdout+stderr, "I1 critical_parity")
	})
	firingI1HasNoValue(t, w)
	stdout, stderr, code := w.cockpit(append(s3, "--override-reason", "prove the harness blocks")...)
	if code != exitActionFailed || !strings.Contains(stdout+stderr, "S3 failed at parity_harness") {
		t.Errorf("S3 overridden with a critical diff in production's capture: exit %d, want 5 failing at parity_harness:\n%s%s", code, stdout, stderr)
	}
}

// firingI1HasNoValue: `status -o json` with I1 firing (a report's critical
// diffs, not a number) writes its value as null beside has_value false, and
// every measured criterion a number beside has_value true. (Issue 15: a
// firing I1 read "value": 0, "has_value": false.)
func firingI1HasNoValue(t *testing.T, w *e2eWorld) {
	t.Helper()
	out, _, _ := w.cockpit("status", "--env", "production", "-o", "json")
	var rep struct {
		Incidents []map[string]any `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, out)
	}
	sawI1 := false
	for _, inc := range rep.Incidents {
		_, isNumber := inc["value"].(float64)
		has, _ := inc["has_value"].(bool)
		if has != isNumber || (!has && inc["value"] != nil) {
			t.Errorf("incident %v: has_value %v beside value %v", inc["id"], inc["has_value"], inc["value"])
		}
		if inc["id"] == "critical_parity" {
			sawI1 = inc["state"] == "firing" && !has
		}
	}
	if !sawI1 {
		t.Errorf("status -o json shows no firing critical_parity without a value:\n%s", out)
	}
}
