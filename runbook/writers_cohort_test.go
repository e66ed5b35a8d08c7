package runbook

import (
	"github.com/openagents/cockpit/config"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// cohortObservation is production at S4's 25% cohort, between actions:
// Rust and legacy both accept writes, a quarter of them on Rust, and
// misrouted_writes reads misrouted (no sample when negative).
func cohortObservation(at time.Time, misrouted float64) observation {
	o := goodObservation(at)
	o.legacyFreeze = checks.Accepting
	s := o.snapshot.Samples["rust_write_share"]
	s.Value = 0.25
	o.snapshot.Samples["rust_write_share"] = s
	if misrouted < 0 {
		delete(o.snapshot.Samples, MisroutedID)
	} else {
		m := o.snapshot.Samples[MisroutedID]
		m.Value = misrouted
		o.snapshot.Samples[MisroutedID] = m
	}
	return o
}

func incidentGate(t *testing.T, st State) checks.Result {
	t.Helper()
	for _, g := range gates(st, "S4", config.LowTrafficHold) {
		if g.ID == "I" {
			return g
		}
	}
	t.Fatal("S4 has no incident gate")
	return checks.Result{}
}

// TestASteadyStickyCohortIsNotTwoWriters: production at 25%, no step
// running, misrouted_writes at 0: both runtimes accepting writes is the
// cohort phase, shown as the cohort, and holds nothing.
func TestASteadyStickyCohortIsNotTwoWriters(t *testing.T) {
	st := newTestEvaluator(t, true).evaluate(cohortObservation(t0, 0))
	inc := writersIncident(t, st)
	const label = "cohort 25%: rust 25 / legacy 75, sticky"
	if inc.State != IncidentOK || inc.Value != 2 || !strings.Contains(inc.Evidence, label) {
		t.Fatalf("sticky 25%% cohort: %v %v (%s), want ok, 2 writers, %q", inc.State, inc.Value, inc.Evidence, label)
	}
	if c, ok := st.Cohort(); !ok || c.Label() != label {
		t.Errorf("State.Cohort() = %+v %v, want %q", c, ok, label)
	}
	if g := incidentGate(t, st); g.Verdict != checks.Pass {
		t.Errorf("S4's incident gate on a sticky cohort = %v (%s), want PASS", g.Verdict, g.Evidence)
	}
	// The same split in a non-production environment has no cohort phase:
	// two writers there are what they always were.
	o := cohortObservation(t0, 0)
	if inc := writersIncident(t, newTestEvaluator(t, false).evaluate(o)); inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "BOTH") {
		t.Errorf("a split outside production: %v (%s), want BOTH firing", inc.State, inc.Evidence)
	}
}

// TestMisroutedWritesFireAfterAMinuteAndHoldS4: 404s on the write path are
// pending at first, fire after the criterion's 1m, name themselves in S4's
// gate, and turn the cohort into split-brain per run.
func TestMisroutedWritesFireAfterAMinuteAndHoldS4(t *testing.T) {
	ev := newTestEvaluator(t, true)
	first := ev.evaluate(cohortObservation(t0, 12))
	if inc := incident(t, first, MisroutedID); inc.State != IncidentPending || inc.Runbook != "I2" {
		t.Fatalf("misrouted_writes at its first 404s: %v %s (%s), want I2 pending", inc.State, inc.Runbook, inc.Evidence)
	}
	if inc := writersIncident(t, first); inc.State != IncidentOK || !strings.Contains(inc.Evidence, "misrouted writes pending") {
		t.Errorf("the cohort while misrouted_writes is pending: %v (%s)", inc.State, inc.Evidence)
	}
	st := ev.evaluate(cohortObservation(t0.Add(61*time.Second), 30))
	inc := incident(t, st, MisroutedID)
	if inc.State != IncidentFiring || inc.Value != 30 || !strings.Contains(inc.Evidence, "> 0 for 1m") {
		t.Fatalf("misrouted_writes 61s on: %v %v (%s), want firing at 30, > 0 for 1m", inc.State, inc.Value, inc.Evidence)
	}
	if w := writersIncident(t, st); w.State != IncidentFiring || !strings.Contains(w.Evidence, "NOT sticky") {
		t.Errorf("the cohort while misrouted_writes fires: %v (%s), want firing, NOT sticky", w.State, w.Evidence)
	}
	if g := incidentGate(t, st); g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "I2 misrouted_writes") {
		t.Errorf("S4's incident gate while misrouted_writes fires = %v (%s), want FAIL naming it", g.Verdict, g.Evidence)
	}
	if v, what := SoakIncidents(st, config.LowTrafficHold); v != checks.Fail || !strings.Contains(what, MisroutedID) {
		t.Errorf("a soak while misrouted_writes fires = %v (%s), want it stopped naming the criterion", v, what)
	}
}

// TestMisroutedWritesWithoutDataHoldS4: no sample (the metric absent, a
// query that answers nothing) is UNKNOWN, never ok: the cohort's
// stickiness cannot be told and S4's next cohort is held.
func TestMisroutedWritesWithoutDataHoldS4(t *testing.T) {
	st := newTestEvaluator(t, true).evaluate(cohortObservation(t0, -1))
	if inc := incident(t, st, MisroutedID); inc.State != IncidentUnknown {
		t.Fatalf("misrouted_writes with no sample: %v (%s), want unknown", inc.State, inc.Evidence)
	}
	if w := writersIncident(t, st); w.State != IncidentUnknown || !strings.Contains(w.Evidence, "stickiness unknown") {
		t.Errorf("the cohort without misrouted_writes data: %v (%s), want unknown stickiness", w.State, w.Evidence)
	}
	if g := incidentGate(t, st); g.Verdict != checks.Unknown || !strings.Contains(g.Evidence.Value, "I2 misrouted_writes") {
		t.Errorf("S4's incident gate without misrouted_writes data = %v (%s), want UNKNOWN naming it", g.Verdict, g.Evidence)
	}
	s := st.Snapshot.Samples
	s[MisroutedID] = metrics.Sample{Signal: MisroutedID, At: t0, Series: 0}
	if inc := incident(t, newTestEvaluator(t, true).evaluate(observationWith(cohortObservation(t0, 0), s)), MisroutedID); inc.State != IncidentUnknown {
		t.Errorf("misrouted_writes whose query answered no series: %v (%s), want unknown", inc.State, inc.Evidence)
	}
}

func observationWith(o observation, samples map[string]metrics.Sample) observation {
	o.snapshot.Samples = samples
	return o
}
