package runbook

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

func newTestEvaluator(t *testing.T, production bool) *evaluator {
	cfg := testConfig(t, "http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1", t.TempDir(), production)
	return newEvaluator(cfg, cfg.Environments["staging"], RunbookItems())
}

func TestAfterS1EveryItemReadsFromObservation(t *testing.T) {
	st := newTestEvaluator(t, false).evaluate(goodObservation(t0))
	want := map[string]checks.Verdict{
		"P1": checks.Pass, "P2": checks.Pass, "P3": checks.Pass, "P4": checks.Pass,
		"S1": checks.Pass, "S2": checks.Pass, "S3": checks.Pass, "S4": checks.Unknown,
		"V1": checks.Pass, "V2": checks.Pass, "V3": checks.Pass, "V4": checks.Pass,
		"R1": checks.Fail, "R2": checks.Fail, "R3": checks.Fail, "R4": checks.Fail,
	}
	got := verdicts(st)
	for id, v := range want {
		if got[id] != v {
			is, _ := st.Item(id)
			t.Errorf("%s = %v, want %v; checks: %+v", id, got[id], v, is.Checks)
		}
	}
	if len(got) != len(want) {
		t.Errorf("items = %v, want P, S, V, R only", got)
	}
	if st.Observed.RustWriteMode.Evidence.Value != "rust_active" || st.Observed.LegacyFreeze.Evidence.Value != "frozen" ||
		st.Observed.WriteTarget.Evidence.Value != "rust" || st.Observed.CohortPercent != 100 {
		t.Errorf("observed header = %+v", st.Observed)
	}
	if st.NextStep() != "S4" {
		t.Errorf("next step = %q, want S4 (S1–S3 observed done)", st.NextStep())
	}
}

func TestAfterRollbackTheRollbackItemsPass(t *testing.T) {
	o := goodObservation(t0)
	o.rust = checks.RustHealth{Mode: "shadow_only"}
	o.rustFreeze, o.legacyFreeze = checks.Frozen, checks.Accepting
	s := o.snapshot.Samples["rust_write_share"]
	s.Value = 0
	o.snapshot.Samples["rust_write_share"] = s
	got := verdicts(newTestEvaluator(t, false).evaluate(o))
	for _, id := range []string{"R1", "R2", "R3"} {
		if got[id] != checks.Pass {
			t.Errorf("%s = %v after rollback, want PASS", id, got[id])
		}
	}
	for _, id := range []string{"S1", "V1", "V2"} {
		if got[id] != checks.Fail {
			t.Errorf("%s = %v after rollback, want FAIL", id, got[id])
		}
	}
}

func TestWriteTargetIsSplitOrUnknownNeverGuessed(t *testing.T) {
	o := goodObservation(t0)
	s := o.snapshot.Samples["rust_write_share"]
	s.Value = 0.37
	o.snapshot.Samples["rust_write_share"] = s
	st := newTestEvaluator(t, false).evaluate(o)
	if st.Observed.WriteTarget.Evidence.Value != "split" || st.Observed.CohortPercent != 37 {
		t.Errorf("share 0.37: target %q cohort %v, want split 37", st.Observed.WriteTarget.Evidence.Value, st.Observed.CohortPercent)
	}
	if v := verdicts(st)["S1"]; v != checks.Fail {
		t.Errorf("S1 with writes split = %v, want FAIL", v)
	}

	o = goodObservation(t0)
	o.snapshot.Samples["rust_write_share"] = metrics.Sample{Signal: "rust_write_share", At: t0} // no data
	// with writes refused: no accepted write, yet writes go somewhere (a
	// quiet write path is TestAQuietWritePathAfterS1IsSaidNotUnknownForGood)
	o.snapshot.Samples["frozen_write_refusals"] = metrics.Sample{Signal: "frozen_write_refusals", At: t0, Value: 2, HasValue: true}
	st = newTestEvaluator(t, false).evaluate(o)
	if st.Observed.WriteTarget.Verdict != checks.Unknown || !math.IsNaN(st.Observed.CohortPercent) {
		t.Errorf("no share data: target %+v cohort %v, want UNKNOWN and NaN", st.Observed.WriteTarget, st.Observed.CohortPercent)
	}
	if v := verdicts(st)["S1"]; v != checks.Unknown {
		t.Errorf("S1 without write-target data = %v, want UNKNOWN", v)
	}
}

func TestUnknownProbesHoldItemsNotPass(t *testing.T) {
	o := goodObservation(t0)
	o.legacyFreeze = checks.FreezeUnknown
	o.legacyFrozen = checks.Result{ID: "legacy_frozen", Verdict: checks.Unknown,
		Evidence: checks.Evidence{Reason: "no signature secret: set RUNTIME_SIGNATURE_SECRET"}}
	o.rustHealth.Verdict = checks.Unknown
	o.rust = checks.RustHealth{}
	o.rustFreeze, o.rustFrozen.Verdict = checks.FreezeUnknown, checks.Unknown
	st := newTestEvaluator(t, false).evaluate(o)
	got := verdicts(st)
	for _, id := range []string{"V2", "S1", "R2"} {
		if got[id] != checks.Unknown {
			t.Errorf("%s = %v with the probes unable to tell, want UNKNOWN", id, got[id])
		}
	}
	v2, _ := st.Item("V2")
	if v2.Checks[0].Evidence.Reason != "no signature secret: set RUNTIME_SIGNATURE_SECRET" {
		t.Errorf("V2 lost the probe's reason: %+v", v2.Checks[0].Evidence)
	}
	if st.Observed.LegacyFreeze.Verdict != checks.Unknown || st.Observed.RustWriteMode.Verdict != checks.Unknown {
		t.Errorf("observed header claims knowledge: %+v", st.Observed)
	}
}

func TestStaleSignalsHoldVerificationAndIncidents(t *testing.T) {
	o := goodObservation(t0)
	o.at = t0.Add(time.Minute) // every sample is a minute old; stale_after is 10s
	st := newTestEvaluator(t, false).evaluate(o)
	if v := verdicts(st)["V4"]; v != checks.Unknown {
		t.Errorf("V4 on stale data = %v, want UNKNOWN", v)
	}
	// Criteria fed by Prometheus hold; those read from the reports, the
	// projector endpoints and the safe probes still judge. After S1 the
	// legacy projection criteria do not apply at all (n/a, never ok).
	fromPrometheus := map[string]bool{"write_error_spike": true, "frozen_writes": true, "misrouted_writes": true}
	for _, inc := range st.Incidents {
		want := map[bool]IncidentState{true: IncidentUnknown, false: IncidentOK}[fromPrometheus[inc.ID]]
		if legacyProjection[inc.ID] {
			want = IncidentNotJudged
		}
		if inc.State != want {
			t.Errorf("incident %s on stale Prometheus data = %v, want %v (%s)", inc.ID, inc.State, want, inc.Evidence)
		}
	}
}

func TestWriteErrorSpikeGoesPendingThenFiringThenKeepsFiring(t *testing.T) {
	ev := newTestEvaluator(t, false)
	at := func(d time.Duration, rate float64) IncidentStatus {
		o := goodObservation(t0.Add(d))
		s := o.snapshot.Samples["rust_write_error_rate"]
		s.Value = rate
		o.snapshot.Samples["rust_write_error_rate"] = s
		for _, inc := range ev.evaluate(o).Incidents {
			if inc.ID == "write_error_spike" {
				return inc
			}
		}
		t.Fatal("write_error_spike not evaluated")
		return IncidentStatus{}
	}
	steps := []struct {
		d     time.Duration
		rate  float64
		state IncidentState
	}{
		{0, 0.001, IncidentOK},
		{10 * time.Second, 0.05, IncidentPending},
		{4 * time.Minute, 0.05, IncidentPending},
		{10*time.Minute + 10*time.Second, 0.05, IncidentFiring}, // for 10m (Http5xxRateHigh)
		{11 * time.Minute, 0.001, IncidentFiring},               // keep_firing_for 5m
		{16*time.Minute + 20*time.Second, 0.001, IncidentOK},
	}
	for _, s := range steps {
		got := at(s.d, s.rate)
		if got.State != s.state {
			t.Fatalf("at +%s rate %v: %v, want %v (%s)", s.d, s.rate, got.State, s.state, got.Evidence)
		}
		if s.d == 4*time.Minute && got.PendingFor != 4*time.Minute-10*time.Second {
			t.Errorf("pending for %s, want 3m50s", got.PendingFor)
		}
	}
}

func TestIncidentsAreInRunbookOrderWithTheirThresholds(t *testing.T) {
	st := newTestEvaluator(t, false).evaluate(goodObservation(t0))
	var order []string
	for _, inc := range st.Incidents {
		order = append(order, inc.Runbook+":"+inc.ID)
		if legacyProjection[inc.ID] {
			if inc.State != IncidentNotJudged || !strings.Contains(inc.Evidence, "n/a after S1: legacy is frozen and no longer projects") {
				t.Errorf("%s = %v after S1, want n/a saying legacy no longer projects (%s)", inc.ID, inc.State, inc.Evidence)
			}
			continue
		}
		if inc.State != IncidentOK {
			t.Errorf("%s = %v on quiet signals, want ok (%s)", inc.ID, inc.State, inc.Evidence)
		}
	}
	want := "I1:critical_parity I2:frozen_writes I2:misrouted_writes I2:write_error_spike I3:checkpoint_regression I3:critical_drift I3:unbounded_drift W:exactly_one_writer"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("incidents = %s, want %s", got, want)
	}
	spike := incident(t, st, "write_error_spike")
	if spike.Threshold != 0.02 || spike.Comparator != ">" || spike.For != 10*time.Minute || spike.Unit != "ratio" {
		t.Errorf("write_error_spike rule = %+v", spike)
	}
}

func TestS4IsObservedOnlyInProduction(t *testing.T) {
	if v := verdicts(newTestEvaluator(t, true).evaluate(goodObservation(t0)))["S4"]; v != checks.Pass {
		t.Errorf("S4 in production at 100%% rust = %v, want PASS", v)
	}
}

// A one-shot `check incidents` has no earlier rounds: the signal's history
// says how long the criterion has held, so it fires once `for` has passed
// in the data and stays pending before.
func TestIncidentTimerIsRestoredFromTheSignalHistory(t *testing.T) {
	spikeFor := func(held time.Duration) IncidentState {
		o := goodObservation(t0)
		s := o.snapshot.Samples["rust_write_error_rate"]
		s.Value = 0.3
		for at := -15 * time.Minute; at < 0; at += 15 * time.Second {
			v := 0.001
			if at >= -held {
				v = 0.3
			}
			s.History = append(s.History, metrics.Point{T: t0.Add(at), V: v})
		}
		o.snapshot.Samples["rust_write_error_rate"] = s
		return incident(t, newTestEvaluator(t, false).evaluate(o), "write_error_spike").State
	}
	if got := spikeFor(11 * time.Minute); got != IncidentFiring {
		t.Errorf("breached for 11m in the history (for: 10m): %v, want firing", got)
	}
	if got := spikeFor(2 * time.Minute); got != IncidentPending {
		t.Errorf("breached for 2m in the history (for: 10m): %v, want pending", got)
	}
}

func TestWriteErrorSpikeOnTooLittleTrafficIsUnknownNotPending(t *testing.T) {
	o := goodObservation(t0)
	s := o.snapshot.Samples["rust_write_error_rate"]
	s.Value, s.Volume, s.HasVolume = 0.5, 3, true // 50% of three requests
	o.snapshot.Samples["rust_write_error_rate"] = s
	for _, inc := range newTestEvaluator(t, false).evaluate(o).Incidents {
		if inc.ID != "write_error_spike" {
			continue
		}
		if inc.State != IncidentUnknown || !strings.Contains(inc.Evidence, "insufficient traffic (3 of 20 requests)") {
			t.Fatalf("spike on 3 requests = %v (%s), want unknown for too little traffic", inc.State, inc.Evidence)
		}
		return
	}
	t.Fatal("write_error_spike not evaluated")
}

// Cloud Run may not route /healthz to the container: the safe write probe
// still tells rust_active (404 on a random run) from frozen (503).
func TestRustModeFromTheSafeProbeWhenHealthzIsUnreachable(t *testing.T) {
	o := goodObservation(t0)
	o.rustHealth = checks.Result{ID: "rust_health", Verdict: checks.Unknown, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "GET /healthz", Reason: "404 (reserved path)"}}
	o.rust = checks.RustHealth{}
	st := newTestEvaluator(t, false).evaluate(o)
	if m := st.Observed.RustWriteMode; m.Verdict != checks.Pass || m.Evidence.Value != "rust_active" || !strings.Contains(m.Evidence.Reason, "safe write probe") {
		t.Fatalf("accepting probe, no healthz: mode %+v, want rust_active from the safe probe", m)
	}
	if v := verdicts(st)["S1"]; v != checks.Pass {
		t.Errorf("S1 = %v, want PASS on the probe's mode", v)
	}
	o.rustFreeze = checks.Frozen
	st = newTestEvaluator(t, false).evaluate(o)
	if m := st.Observed.RustWriteMode; m.Evidence.Value != ModeFrozen {
		t.Fatalf("frozen probe, no healthz: mode %q, want %q", m.Evidence.Value, ModeFrozen)
	}
	if v := verdicts(st)["R1"]; v != checks.Pass {
		t.Errorf("R1 = %v with Rust frozen per the probe, want PASS", v)
	}
}
