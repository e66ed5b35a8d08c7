package runbook

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// killedBetweenModeAndRoute is staging after S1 was killed between its
// first two sub-steps: Rust set to rust_active (it accepts writes), legacy
// never frozen, and every write still routed to legacy, so none reaches
// Rust (its write error rate has no traffic to judge).
func killedBetweenModeAndRoute() observation {
	o := goodObservation(t0)
	o.legacyFreeze = checks.Accepting
	o.history = History{ModeChanged: t0.Add(-time.Minute)}
	o.snapshot.Samples["rust_write_share"] = metrics.Sample{Signal: "rust_write_share", Value: 0, HasValue: true, Series: 1, At: t0}
	o.snapshot.Samples["rust_write_error_rate"] = metrics.Sample{Signal: "rust_write_error_rate", Series: 1, At: t0,
		Value: 0, HasValue: true, Volume: 0, HasVolume: true}
	return o
}

func incident(t *testing.T, st State, id string) IncidentStatus {
	t.Helper()
	for _, inc := range st.Incidents {
		if inc.ID == id {
			return inc
		}
	}
	t.Fatalf("%s not evaluated", id)
	return IncidentStatus{}
}

// I2's authority is where writes are routed, as observed: after a kill
// between S1's first two sub-steps, legacy still takes every write, so
// legacy's error rate is judged (and healthy), not Rust's (no traffic,
// UNKNOWN), and S1 can be run again without an override.
func TestI2JudgesTheRuntimeWritesAreRoutedTo(t *testing.T) {
	st := newTestEvaluator(t, false).evaluate(killedBetweenModeAndRoute())
	spike := incident(t, st, "write_error_spike")
	if spike.State != IncidentOK || !strings.HasPrefix(spike.Evidence, "authority legacy (writes routed to legacy); ") {
		t.Fatalf("I2 write_error_spike with writes routed to legacy: %v (%s), want OK judging legacy alone", spike.State, spike.Evidence)
	}
	if g := gates(st, "S1", config.LowTrafficHold); !AllGreen(g) {
		t.Fatalf("S1 after the kill needs an override:\n%s", GateLines(NotGreen(g), t0))
	}
	if w := incident(t, st, WritersID); w.State != IncidentFiring {
		t.Errorf("two writers with no live step: %v (%s), want firing (S1's gate skips it: finishing S1 is its remedy)", w.State, w.Evidence)
	}
	if v4, _ := st.Item("V4"); strings.Contains(checkIDs(v4.Checks), "rust_write_error_rate") {
		t.Errorf("V4 judges Rust's error rate although no write reaches it: %s", checkIDs(v4.Checks))
	}
}

// The authority follows the route, not the freeze alone: writes routed to
// Rust judge Rust, split judges both, and a route that cannot be told
// judges every runtime not known frozen (as before).
func TestI2AuthorityFollowsTheObservedRoute(t *testing.T) {
	for _, tc := range []struct {
		share metrics.Sample
		want  string
	}{
		{metrics.Sample{Value: 1, HasValue: true, At: t0}, "authority rust (writes routed to rust); "},
		{metrics.Sample{Value: 0.5, HasValue: true, At: t0}, "authority rust, legacy (writes routed to split); "},
		{metrics.Sample{Value: 0, HasValue: true, At: t0}, "authority legacy (writes routed to legacy); "},
		{metrics.Sample{At: t0}, "authority rust, legacy (route unknown: every runtime not frozen); "},
	} {
		o := killedBetweenModeAndRoute()
		o.snapshot.Samples["rust_write_error_rate"] = quietSamples(t0)["rust_write_error_rate"]
		tc.share.Signal, tc.share.Series = "rust_write_share", 1
		o.snapshot.Samples["rust_write_share"] = tc.share
		st := newTestEvaluator(t, false).evaluate(o)
		if got := incident(t, st, "write_error_spike").Evidence; !strings.HasPrefix(got, tc.want) {
			t.Errorf("rust write share %v (has value %v): I2's evidence %q, want it to start %q", tc.share.Value, tc.share.HasValue, got, tc.want)
		}
	}
}

func checkIDs(rs []checks.Result) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ",")
}
