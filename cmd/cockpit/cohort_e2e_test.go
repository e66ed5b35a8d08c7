package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestOneAuthorityPerRun drives the built binary against rehearsal worlds
// in production's cohort phase (Rust accepting writes, legacy not frozen,
// writes split), as S4 leaves it between cohorts: a sticky per-user cohort
// keeps misrouted_writes at 0 and reads as the cohort, not as two writers;
// a per-request split makes it fire within two minutes and S4 refuses its
// next cohort; without the metric it is UNKNOWN and S4 refuses too.
func TestOneAuthorityPerRun(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"a sticky cohort misroutes nothing; a per-request split fires misrouted_writes and holds S4", testPerRequestSplitHoldsS4},
		{"misrouted_writes without its metric is UNKNOWN and holds S4", testMisroutedWithoutMetricHoldsS4},
	})
}

// enterCohortPhase puts production where S4's first cohort leaves it:
// Rust accepting writes and 25% of users on it, legacy still accepting.
func enterCohortPhase(w *e2eWorld) {
	w.ctl("production", "set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active")
	w.ctl("production", "cohort", "25")
}

func testPerRequestSplitHoldsS4(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, exampleTimeouts(t))
	enterCohortPhase(w)
	// The cohort phase as the cockpit reads it: the writers check shows the
	// cohort, and misrouted_writes stays 0 through more than its 30s `for`
	// (the rehearsal's), while both revisions take writes.
	since := time.Now()
	var seen int
	eventually(t, 2*time.Minute, 2*time.Second, "a sticky cohort observed for 40s", func() bool {
		code, inc := incidentLines(t, w, "production")
		m, wr := inc["misrouted_writes"], inc["exactly_one_writer"]
		if m.Verdict != "PASS" || !strings.Contains(m.Evidence, "→ 0 →") {
			t.Fatalf("misrouted_writes under a sticky cohort: %s %s (exit %d)", m.Verdict, m.Evidence, code)
		}
		if !strings.Contains(wr.Evidence, "expected: cohort ") || !strings.Contains(wr.Evidence, ", sticky") {
			return false // the share's window still reaches back before the cohort
		}
		if wr.Verdict != "PASS" {
			t.Fatalf("the cohort phase reads %s (%s): want PASS, the cohort", wr.Verdict, wr.Evidence)
		}
		seen++
		return seen >= 3 && time.Since(since) > 40*time.Second
	})
	if st := w.state("production"); st.MisroutedWrites != 0 || st.CohortMode != "sticky per user" {
		t.Fatalf("the world under a sticky cohort: %+v, want no misrouted write", st)
	}

	w.ctl("production", "cohort", "--per-request", "50")
	split := time.Now()
	var writers checkLine
	eventually(t, 2*time.Minute, 2*time.Second, "misrouted_writes firing after a per-request split", func() bool {
		code, inc := incidentLines(t, w, "production")
		writers = inc["exactly_one_writer"]
		return code == 1 && inc["misrouted_writes"].Verdict == "FAIL"
	})
	t.Logf("misrouted_writes fired %s after the per-request split", time.Since(split).Round(time.Second))
	if writers.Verdict != "FAIL" || !strings.Contains(writers.Evidence, "NOT sticky") {
		t.Errorf("the writers check while misrouted_writes fires: %s %s, want FAIL, NOT sticky", writers.Verdict, writers.Evidence)
	}
	st := w.state("production")
	if st.MisroutedWrites == 0 || st.CohortMode != "per request" {
		t.Fatalf("the world after a per-request split: %+v, want misrouted writes counted", st)
	}
	// S4 is refused on every attempt, and its refusal names the firing
	// criterion (a one-shot's timer is rebuilt from the signal's history).
	assertS4Refused(t, w, "firing")
}

// assertS4Refused runs S4 until its refusal names misrouted_writes in
// state (firing or UNKNOWN); every attempt must be refused (exit 3) and
// apply no control.
func assertS4Refused(t *testing.T, w *e2eWorld, state string) {
	t.Helper()
	controls := len(w.state("production").Controls)
	var last string
	eventually(t, time.Minute, 2*time.Second, "S4 refused naming misrouted_writes "+state, func() bool {
		_, errOut, code := w.cockpit("run", "S4", "--env", "production", "--approve", "S4", "--confirm-env", "production")
		if code != 3 {
			t.Fatalf("run S4 with misrouted_writes %s: exit %d, want 3:\n%s", state, code, errOut)
		}
		last = errOut
		return regexp.MustCompile(state + `: [^\n]*I2 misrouted_writes`).MatchString(errOut)
	})
	if after := w.state("production"); len(after.Controls) != controls {
		t.Errorf("a refused S4 applied controls: %v\n%s", after.Controls[controls:], last)
	}
}

func testMisroutedWithoutMetricHoldsS4(t *testing.T, bin string) {
	// Production's write path has no response_code 404 series and no total
	// under this name: the query answers nothing at all.
	timeouts := exampleTimeouts(t)
	w := newE2EWorld(t, bin, func(cfg string) string {
		cfg = timeouts(cfg)
		const prod = "  production:\n"
		if !strings.Contains(cfg, prod) {
			t.Fatalf("no production environment in the world's config:\n%s", cfg)
		}
		return strings.Replace(cfg, prod, prod+"    signals:\n      misrouted_writes: {query: \"sum(increase(run_googleapis_com:request_count_absent[5m]))\"}\n", 1)
	})
	enterCohortPhase(w)
	var last checkLine
	eventually(t, 2*time.Minute, 2*time.Second, "the cohort phase with misrouted_writes UNKNOWN", func() bool {
		code, inc := incidentLines(t, w, "production")
		last = inc["misrouted_writes"]
		if last.Verdict == "PASS" || last.Verdict == "FAIL" {
			t.Fatalf("misrouted_writes without its metric reads %s (%s), want UNKNOWN", last.Verdict, last.Evidence)
		}
		wr := inc["exactly_one_writer"]
		return code == 2 && strings.Contains(wr.Evidence, "stickiness unknown") && wr.Verdict == "UNKNOWN"
	})
	if !strings.Contains(last.Evidence, "no sample") {
		t.Errorf("misrouted_writes UNKNOWN without its reason: %s", last.Evidence)
	}
	assertS4Refused(t, w, "unknown")
}
