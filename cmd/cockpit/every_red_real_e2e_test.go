package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox"
)

// TestEveryRedIsReal drives the built binary against rehearsal worlds: a
// frozen runtime's refusals and an earlier authority period never make
// I2 red, a quiet staging neither passes silently nor holds S1, and a Rust
// runtime that is not ready holds S3.
func TestEveryRedIsReal(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"S1, rollback, S1 again: no write error spike; a real one still fires", testS1RollbackS1},
		{"a quiet staging: I2 reads insufficient traffic, S1 is not held by it", testQuietStaging},
	})
}

// errorWindow scales the default write error rates' [5m] to this, in the
// default queries' shape, so a test observes a whole window in seconds.
const errorWindow = "[60s]"

// scaledErrorRates adds the default write error-rate queries with every
// [5m] window scaled to errorWindow, nothing else changed, to the world's
// signals section.
func scaledErrorRates(t *testing.T) func(cfg string) string {
	return func(cfg string) string {
		var b strings.Builder
		for _, name := range []string{"rust_write_error_rate", "legacy_write_error_rate"} {
			def := config.DefaultSignals()[name]
			if !strings.Contains(def.Query, "[5m]") || !strings.Contains(def.Query, `response_code!~"410|503"`) {
				t.Fatalf("the default %s no longer has the shape this test scales: %s", name, def.Query)
			}
			b.WriteString("  " + name + ":\n    query: " + quoteYAML(strings.ReplaceAll(def.Query, "[5m]", errorWindow)) +
				"\n    volume_query: " + quoteYAML(strings.ReplaceAll(def.VolumeQuery, "[5m]", errorWindow)) + "\n")
		}
		const anchor = "signals:\n"
		if !strings.Contains(cfg, anchor) {
			t.Fatalf("no %q in the world's config", anchor)
		}
		return strings.Replace(cfg, anchor, anchor+b.String(), 1)
	}
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// spikeStates polls staging's write_error_spike for d and returns every
// state it read, with its evidence.
func spikeStates(t *testing.T, w *e2eWorld, d time.Duration) []checkLine {
	t.Helper()
	var seen []checkLine
	sample := time.NewTicker(2 * time.Second)
	defer sample.Stop()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); <-sample.C {
		_, inc := incidentLines(t, w, "staging")
		seen = append(seen, inc["write_error_spike"])
	}
	return seen
}

// The rollback freezes Rust while writes still reach it (R1 before R3):
// its write path answers 503 write_path_frozen, and S1 again right after
// judges Rust on a window that holds them and the earlier period. Neither
// is an error of the new authority period: no pending, no firing for a
// whole window and the incident's `for` (60s and 30s here, 5m and 10m by
// default). Bad day beside: a real spike after that fires. Then, with
// Rust not ready, S3 is refused on rust_readiness; ready, it runs.
func testS1RollbackS1(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, scaledErrorRates(t))
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	w.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	if st := w.state("staging"); st.RustWriteMode != "rust_active" || st.WriteTarget != "rust" {
		t.Fatalf("after S1 again the world says %+v", st)
	}
	clipped := false
	for _, c := range spikeStates(t, w, 90*time.Second) { // errorWindow and the rehearsal's for: 30s
		if c.Verdict == "PENDING" || c.Verdict == "FAIL" {
			t.Fatalf("write_error_spike %s after S1 again: %s", c.Verdict, c.Evidence)
		}
		clipped = clipped || strings.Contains(c.Evidence, "regained the authority")
	}
	if !clipped {
		t.Errorf("write_error_spike never said its window reached back into the earlier authority period")
	}

	w.ctl("staging", "fault", "error-spike", "on")
	eventually(t, 90*time.Second, 2*time.Second, "a real error spike after S1 again makes write_error_spike pending", func() bool {
		_, inc := incidentLines(t, w, "staging")
		v := inc["write_error_spike"].Verdict
		return v == "PENDING" || v == "FAIL"
	})
	w.ctl("staging", "fault", "error-spike", "off")

	w.mustRun(0, "run", "S2", "--env", "staging", "--approve", "S2")
	w.ctl("staging", "fault", "readiness-down", "on")
	_, errOut, code := w.cockpit("run", "S3", "--env", "staging", "--approve", "S3")
	if code != exitNeedsApproval || !strings.Contains(errOut, "rust_readiness") || !strings.Contains(errOut, "not_ready") {
		t.Errorf("run S3 with Rust not ready: exit %d, want %d naming rust_readiness:\n%s", code, exitNeedsApproval, errOut)
	}
	w.ctl("staging", "fault", "readiness-down", "off")
	eventually(t, time.Minute, 2*time.Second, "run S3 once Rust is ready again", func() bool {
		_, _, code := w.cockpit("run", "S3", "--env", "staging", "--approve", "S3")
		return code == 0
	})
}

// A quiet staging (the rehearsal's default 0.05 writes/s) has fewer writes
// in a window than min_requests: I2 reads "insufficient traffic (N of 20
// requests)", UNKNOWN, never PASS. The world's staging declares
// low_traffic: proceed, so S1 runs with no override; bad day beside: with
// low_traffic: hold, S1 is refused, naming the traffic and the fix.
func testQuietStaging(t *testing.T, bin string) {
	w := newE2EWorldOpts(t, bin, sandbox.Options{RedeployDelay: 300 * time.Millisecond, StagingWritesPerSecond: 0.05}, nil)
	var i2 checkLine
	eventually(t, time.Minute, 2*time.Second, "I2 reads insufficient traffic on the quiet staging", func() bool {
		_, inc := incidentLines(t, w, "staging")
		i2 = inc["write_error_spike"]
		return strings.Contains(i2.Evidence, "insufficient traffic (")
	})
	if i2.Verdict != "UNKNOWN" {
		t.Errorf("I2 on a quiet staging: %s, want UNKNOWN: %s", i2.Verdict, i2.Evidence)
	}

	raw, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	const proceed = "low_traffic: proceed"
	if !strings.Contains(string(raw), proceed) {
		t.Fatalf("the world's staging does not declare %q", proceed)
	}
	must(t, os.WriteFile(w.config, []byte(strings.Replace(string(raw), proceed, "low_traffic: hold", 1)), 0o644))
	_, errOut, code := w.cockpit("run", "S1", "--env", "staging", "--approve", "S1")
	if code != exitNeedsApproval || !strings.Contains(errOut, "insufficient traffic") || !strings.Contains(errOut, "set low_traffic: proceed") {
		t.Errorf("run S1, quiet staging, low_traffic: hold: exit %d, want %d naming the traffic and the fix:\n%s", code, exitNeedsApproval, errOut)
	}
	must(t, os.WriteFile(w.config, raw, 0o644))
	out := w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	if st := w.state("staging"); st.RustWriteMode != "rust_active" || !st.LegacyWriteFreeze || st.WriteTarget != "rust" {
		t.Errorf("after S1 on the quiet staging the world says %+v:\n%s", st, out)
	}
}
