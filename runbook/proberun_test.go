package runbook

import (
	"github.com/openagents/cockpit/config"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
)

// modeUnsetBeforeS1 is staging before the cutover with Rust's mode variable unset:
// Rust rust_active (the code's default) and legacy accepting, every write
// routed to legacy.
func modeUnsetBeforeS1(at time.Time, rustShare float64) observation {
	o := goodObservation(at)
	o.legacyFreeze = checks.Accepting
	s := o.snapshot.Samples[ShareSignal]
	s.Value = rustShare
	o.snapshot.Samples[ShareSignal] = s
	o.history = History{}
	return o
}

// TestRustModeUnsetBeforeS1IsNotTwoWriters: Rust accepting writes none is
// routed to is said as such and does not fire; the bad days beside it, any
// write routed to Rust or a route that cannot be told, still fire.
func TestRustModeUnsetBeforeS1IsNotTwoWriters(t *testing.T) {
	inc := writersIncident(t, newTestEvaluator(t, false).evaluate(modeUnsetBeforeS1(t0, 0)))
	if inc.State != IncidentOK || !strings.Contains(inc.Evidence, "rust accepts writes, none routed to it") {
		t.Fatalf("mode unset, every write to legacy: %v (%s), want ok saying rust accepts writes none is routed to", inc.State, inc.Evidence)
	}
	inc = writersIncident(t, newTestEvaluator(t, false).evaluate(modeUnsetBeforeS1(t0, 0.3)))
	if inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "BOTH runtimes accept writes") {
		t.Errorf("30%% of writes to rust, legacy unfrozen: %v (%s), want firing", inc.State, inc.Evidence)
	}
	o := modeUnsetBeforeS1(t0, 0)
	o.history.ModeChanged = t0.Add(-time.Minute) // S1 set it, then was killed
	if inc := writersIncident(t, newTestEvaluator(t, false).evaluate(o)); inc.State != IncidentFiring {
		t.Errorf("the same state after a killed S1 set the mode: %v (%s), want firing", inc.State, inc.Evidence)
	}
	o = modeUnsetBeforeS1(t0, 0)
	delete(o.snapshot.Samples, ShareSignal)
	if inc := writersIncident(t, newTestEvaluator(t, false).evaluate(o)); inc.State != IncidentFiring {
		t.Errorf("route unknown, both accepting: %v (%s), want firing (never guessed)", inc.State, inc.Evidence)
	}
}

// probeRunRecord is a journaled write probe run.
func probeRunRecord(at time.Time, verdict, evidence string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindVerdict, Check: probeWriteRun, Verdict: verdict, Evidence: evidence}
}

const (
	lostRun  = "0190f3a0-0000-7000-8000-00000000000a"
	heldRun  = "0190f3a0-0000-7000-8000-00000000000b"
	lostLine = "run " + lostRun + " was written (201) and then unknown (404 not_found) to append probe event; no restart observed: " +
		"several Rust instances without shared state serve this URL (/healthz shows 2: up since 10:00:00Z, up since 10:00:23Z)"
)

// TestP3FailsOnARunLostBetweenInstances: the journaled loss fails P3 with
// the instances named, a later passing probe clears it, and an unparseable
// record is ignored.
func TestP3FailsOnARunLostBetweenInstances(t *testing.T) {
	var h History
	for _, rec := range []journal.Record{
		probeRunRecord(t0.Add(-2*time.Minute), "PASS", "run "+heldRun+" found on each of the 6 requests after its write"),
		probeRunRecord(t0.Add(-time.Minute), "FAIL", lostLine),
		probeRunRecord(t0, "FAIL", "no run id here"),
	} {
		h.foldProbeRun(&rec)
	}
	if h.ProbeRun.RunID != heldRun || h.RunLost.RunID != lostRun {
		t.Fatalf("folded %+v / %+v", h.ProbeRun, h.RunLost)
	}
	o := goodObservation(t0)
	o.history.ProbeRun, o.history.RunLost = h.ProbeRun, h.RunLost
	p3 := itemOf(t, newTestEvaluator(t, false).evaluate(o), "P3")
	c := checkOf(t, p3, "rust.instances")
	if p3.Verdict != checks.Fail || c.Verdict != checks.Fail || !strings.Contains(c.Evidence.Value, "up since 10:00:00Z, up since 10:00:23Z") {
		t.Fatalf("P3 %v, instances %s", p3.Verdict, c.Line(t0))
	}
	o.history.ProbeRun.At = t0
	if c := checkOf(t, itemOf(t, newTestEvaluator(t, false).evaluate(o), "P3"), "rust.instances"); c.Verdict != checks.Pass {
		t.Errorf("a probe passed after the loss: %s, want PASS", c.Line(t0))
	}
	o.history.ProbeRun, o.history.RunLost = JournaledRun{}, JournaledRun{}
	if c := checkOf(t, itemOf(t, newTestEvaluator(t, false).evaluate(o), "P3"), "rust.instances"); c.Verdict != checks.Pass ||
		!strings.Contains(c.Evidence.Reason, "only a write probe (S2/V1) can tell") {
		t.Errorf("no probe yet: %s, want PASS saying only a probe can tell", c.Line(t0))
	}
}

// TestV1NeedsTheProbeRunStillHeld: the run-held check joins V1 and S2 once
// the journal's half passes; a run gone fails both, and V1's gate (its safe
// half) does not hold on it, so V1 can be probed again.
func TestV1NeedsTheProbeRunStillHeld(t *testing.T) {
	o := goodObservation(t0)
	o.history.ProbeRun = JournaledRun{At: o.history.WriteProbe, RunID: heldRun, Verdict: checks.Pass}
	o.probeRun = checks.Result{ID: "write_probe.run_held", Title: "run held", Verdict: checks.Fail, ObservedAt: t0,
		Evidence: checks.Evidence{Value: "404 not_found", Reason: "probe again: the runtime restarted since the probe"}}
	st := newTestEvaluator(t, false).evaluate(o)
	for _, id := range []string{"V1", "S2"} {
		if is := itemOf(t, st, id); is.Verdict != checks.Fail || checkOf(t, is, "write_probe.run_held").Evidence.Reason == "" {
			t.Errorf("%s with the probe's run gone: %v, want FAIL saying probe again", id, is.Verdict)
		}
	}
	if g := gates(st, "V1", config.LowTrafficHold); len(g) != 1 || g[0].Verdict != checks.Pass {
		t.Errorf("V1's gate with the run gone: %+v, want PASS (the probe is how V1 is proven again)", g)
	}
	o.probeRun.Verdict = checks.Pass
	if is := itemOf(t, newTestEvaluator(t, false).evaluate(o), "V1"); is.Verdict != checks.Pass {
		t.Errorf("V1 with the run held: %v, want PASS", is.Verdict)
	}
	// A journaled run older than the last mode change belongs to an older
	// probe: the passed probe after it is judged on the journal alone.
	o.probeRun.Verdict = checks.Fail
	o.history.ProbeRun.At = o.history.ModeChanged.Add(-time.Second)
	if is := itemOf(t, newTestEvaluator(t, false).evaluate(o), "V1"); is.Verdict != checks.Pass || len(is.Checks) != 3 {
		t.Errorf("V1 with only an older probe's run journaled: %v, %d checks, want PASS on the journal's half", is.Verdict, len(is.Checks))
	}
}

func itemOf(t *testing.T, st State, id string) ItemStatus {
	t.Helper()
	is, ok := st.Item(id)
	if !ok {
		t.Fatalf("%s not evaluated", id)
	}
	return is
}

func checkOf(t *testing.T, is ItemStatus, id string) checks.Result {
	t.Helper()
	for _, c := range is.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s has no check %s", is.Item.ID, id)
	return checks.Result{}
}
