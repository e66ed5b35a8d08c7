package runbook

import (
	"github.com/openagents/cockpit/config"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// firstEventSignals are the default signals read from counters the legacy
// runtime creates with their first event.
var firstEventSignals = []string{"drift_events", "hash_mismatch_drift", "replay_failures", "projection_write_failure_ratio"}

// beforeS1 is staging before the cutover on the real metric landscape:
// legacy the authority, Rust frozen, and no drift, failure or replay
// counter yet (no event has created one); exporter says how the legacy
// exporter looks.
func beforeS1(at time.Time, exporter metrics.Exporter) observation {
	o := goodObservation(at)
	o.rust = checks.RustHealth{Mode: "shadow_only"}
	o.rustFreeze, o.legacyFreeze = checks.Frozen, checks.Accepting
	o.history = History{}
	share := o.snapshot.Samples["rust_write_share"]
	share.Value = 0
	o.snapshot.Samples["rust_write_share"] = share
	for _, name := range firstEventSignals {
		o.snapshot.Samples[name] = metrics.Sample{Signal: name, At: at, Silent: true, Exporter: exporter}
	}
	return o
}

func liveExporter(at time.Time) metrics.Exporter {
	return metrics.Exporter{At: at, Up: 1, HasUp: true, UpAt: at.Add(-time.Second), SeriesAt: at.Add(-time.Second), AskSeries: true}
}

// Before S1, on the real landscape: counters that do not exist yet read 0
// while the legacy exporter is proven alive, so P3 passes and I3 is ok
// without an override; the lag summary that never fills is "not judged".
func TestCountersBeforeTheirFirstEventReadZeroOnALiveExporter(t *testing.T) {
	st := newTestEvaluator(t, false).evaluate(beforeS1(t0, liveExporter(t0)))
	p3, _ := st.Item("P3")
	if p3.Verdict != checks.Pass {
		t.Fatalf("P3 on the real landscape = %v, want PASS: %s", p3.Verdict, checkLines(p3.Checks, t0))
	}
	for _, c := range p3.Checks {
		switch c.ID {
		case "drift_events":
			if !strings.Contains(c.Evidence.Reason, "no series yet: appears with its first event") {
				t.Errorf("drift_events: %s, want 0 saying it appears with its first event", c.Line(t0))
			}
		case "projection_lag":
			if c.Verdict != checks.NotJudged || !strings.Contains(c.Evidence.Reason, "not judged: the legacy lag summary never receives an observation") {
				t.Errorf("projection_lag: %s, want N/A: not judged, with the reason", c.Line(t0))
			}
		}
	}
	for _, inc := range st.Incidents {
		if inc.State != IncidentOK {
			t.Errorf("%s = %v before S1 on a live exporter, want ok (%s)", inc.ID, inc.State, inc.Evidence)
		}
	}
}

// The bad day beside it: the same silence while the exporter is not proven
// alive (scrapes stopped: its up is two minutes old) is UNKNOWN, never ok,
// and holds P3.
func TestSilenceOnADeadExporterIsUnknown(t *testing.T) {
	dead := liveExporter(t0)
	dead.UpAt, dead.SeriesAt = t0.Add(-2*time.Minute), t0.Add(-2*time.Minute)
	st := newTestEvaluator(t, false).evaluate(beforeS1(t0, dead))
	if p3, _ := st.Item("P3"); p3.Verdict != checks.Unknown {
		t.Errorf("P3 with the exporter silent = %v, want UNKNOWN: %s", p3.Verdict, checkLines(p3.Checks, t0))
	}
	for _, inc := range st.Incidents {
		if legacyProjection[inc.ID] && (inc.State != IncidentUnknown || !strings.Contains(inc.Evidence, "up is stale")) {
			t.Errorf("%s with the exporter silent = %v (%s), want unknown saying why", inc.ID, inc.State, inc.Evidence)
		}
	}
}

// Scrapes stopped two minutes ago: every sample's data is two minutes old
// and the counters that never existed are silent. No incident criterion fed
// by Prometheus reads ok, and no gate that reads Prometheus passes.
func TestScrapesStoppedTwoMinutesNothingFromPrometheusPasses(t *testing.T) {
	dead := liveExporter(t0)
	dead.UpAt, dead.SeriesAt = t0.Add(-2*time.Minute), t0.Add(-2*time.Minute)
	// After S1, P3 reads nothing from Prometheus (the legacy projection
	// is n/a; the Rust projector endpoints and probes judge it).
	for _, phase := range []struct {
		name  string
		o     observation
		gates []string
	}{{"before S1", beforeS1(t0, dead), []string{"P3", "V4", "S1", "R3"}}, {"after S1", goodObservation(t0), []string{"V4", "S1"}}} {
		o := phase.o
		for name, s := range o.snapshot.Samples {
			if !s.Silent {
				s.DataAt = t0.Add(-2 * time.Minute)
				o.snapshot.Samples[name] = s
			}
		}
		st := newTestEvaluator(t, false).evaluate(o)
		for _, inc := range st.Incidents {
			if fromPrometheus(inc.ID) && inc.State == IncidentOK {
				t.Errorf("%s: %s = ok with scrapes stopped 2m (%s)", phase.name, inc.ID, inc.Evidence)
			}
		}
		for _, id := range phase.gates {
			if is, _ := st.Item(id); is.Verdict == checks.Pass {
				t.Errorf("%s: %s PASS with scrapes stopped 2m: %s", phase.name, id, checkLines(is.Checks, t0))
			}
		}
	}
}

func fromPrometheus(id string) bool {
	return id == "write_error_spike" || id == "frozen_writes" || legacyProjection[id]
}

// After S1 the legacy projection metrics go quiet for good: they read n/a
// (grey, never ok), and V4 is earned from the Rust projector endpoints and
// the error rates, without an override.
func TestAfterS1LegacyProjectionIsNotApplicableAndV4Passes(t *testing.T) {
	o := goodObservation(t0)
	for _, name := range firstEventSignals {
		o.snapshot.Samples[name] = metrics.Sample{Signal: name, At: t0, Silent: true} // quiet for good
	}
	st := newTestEvaluator(t, false).evaluate(o)
	v4, _ := st.Item("V4")
	if v4.Verdict != checks.Pass {
		t.Fatalf("V4 after S1 = %v, want PASS: %s", v4.Verdict, checkLines(v4.Checks, t0))
	}
	na := 0
	for _, c := range v4.Checks {
		if c.Verdict == checks.NotJudged {
			na++
		}
		if slices.Contains(firstEventSignals, c.ID) && !strings.Contains(c.Evidence.Reason, "n/a after S1: legacy is frozen and no longer projects") {
			t.Errorf("%s after S1: %s, want n/a saying legacy no longer projects", c.ID, c.Line(t0))
		}
	}
	if na != len(firstEventSignals)+1 { // + projection_lag
		t.Errorf("V4 has %d checks N/A, want %d", na, len(firstEventSignals)+1)
	}
	// The n/a criteria hold no gate, and are not counted as ok.
	if g := noIncidentGate(st, "S2", config.LowTrafficHold); g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "2 n/a") {
		t.Errorf("incident gate after S1: %s %q, want PASS naming 2 n/a", g.Verdict, g.Evidence.Value)
	}
	// The same phase with the Rust projector unable to answer: V4 holds.
	o.checkpoints.Verdict, o.drift.Verdict = checks.Unknown, checks.Unknown
	if v4, _ := newTestEvaluator(t, false).evaluate(o).Item("V4"); v4.Verdict != checks.Unknown {
		t.Errorf("V4 after S1 with the projector endpoints unreadable = %v, want UNKNOWN", v4.Verdict)
	}
}

func checkLines(rs []checks.Result, now time.Time) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n  " + r.ID + ": " + r.Line(now))
	}
	return b.String()
}

// "Already in place" is decided only on fresh, present data. A write share
// whose series all went silent (a metrics outage seen by a backend that
// stales them) may still answer 0 from its fallback: that is no evidence
// that writes go to legacy, so R3 is not in place and a rollback applies it.
// The same share backed by data is in place. The executor's in-place check
// passes on an observed write target that is known and says legacy.
func TestASilentWriteShareIsNeverAlreadyInPlace(t *testing.T) {
	for _, c := range []struct {
		name   string
		silent bool
		want   checks.Verdict
	}{{"silent share", true, checks.Unknown}, {"share backed by data", false, checks.Pass}} {
		o := beforeS1(t0, liveExporter(t0))
		share := o.snapshot.Samples["rust_write_share"]
		share.Silent = c.silent
		o.snapshot.Samples["rust_write_share"] = share
		st := newTestEvaluator(t, false).evaluate(o)
		target, inPlace := st.Observed.WriteTarget, checks.Unknown
		if target.Verdict != checks.Unknown && target.Evidence.Value == "legacy" {
			inPlace = checks.Pass
		}
		if inPlace != c.want {
			t.Errorf("%s: R3's in-place check %v (write target %s), want %v", c.name, inPlace, target.Evidence, c.want)
		}
		if is, _ := st.Item("R3"); is.Verdict != c.want {
			t.Errorf("%s: R3 item %v, want %v", c.name, is.Verdict, c.want)
		}
	}
}
