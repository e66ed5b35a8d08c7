package runbook

import (
	"fmt"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// testConfig is a minimal valid config for one environment whose URLs the
// caller chooses; every signal and incident takes the defaults. Its
// servers answer from this -race process: query_timeout is
// testQueryTimeout, which a loaded machine still meets.
func testConfig(t *testing.T, prom, rust, legacy, stateDir string, production bool) *config.Config {
	t.Helper()
	raw := fmt.Sprintf(`
state_dir: %s
refresh: 3s
query_timeout: 2500ms
stale_after: 10s
environments:
  staging:
    production: %t
    prometheus: {url: %q}
    rust_runtime: {url: %q}
    legacy_runtime: {url: %q, signature_secret_env: TEST_SECRET}
    parity: {reports: %q}
`, stateDir, production, prom, rust, legacy, stateDir+"/reports/*.json")
	cfg, err := config.Parse("test.yaml", []byte(raw), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testQueryTimeout and testRefresh are a test engine's query timeout and
// refresh instead of the rehearsal's 800ms and 1s: the rehearsal world and
// the test servers answer from this -race process, which a machine busy
// with a second copy of the suite starves past 800ms (probes and queries
// read UNKNOWN for the machine's sake). Still well under stale_after 10s.
const (
	testQueryTimeout = 2500 * time.Millisecond
	testRefresh      = 3 * time.Second
)

// loadWorldConfig loads a rehearsal world's generated config with
// testRefresh and testQueryTimeout.
func loadWorldConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Refresh, cfg.QueryTimeout = config.Duration(testRefresh), config.Duration(testQueryTimeout)
	return cfg
}

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

func pass(id string, at time.Time) checks.Result {
	return checks.Result{ID: id, Title: id, Verdict: checks.Pass, ObservedAt: at,
		Evidence: checks.Evidence{Source: "test " + id, Value: "ok"}}
}

// goodObservation is staging after S1: Rust authoritative and accepting,
// legacy frozen, every write on Rust, parity allowing, the DB isolated and
// every signal quiet.
func goodObservation(at time.Time) observation {
	return observation{
		at:           at,
		snapshot:     metrics.Snapshot{At: at, Samples: quietSamples(at)},
		rust:         checks.RustHealth{Mode: "rust_active", WriterActive: true},
		rustHealth:   pass("rust_health", at),
		rustReady:    pass("rust_readiness", at),
		legacyHealth: pass("legacy_health", at),
		rustFreeze:   checks.Accepting,
		rustFrozen:   pass("rust_frozen", at),
		legacyFreeze: checks.Frozen,
		legacyFrozen: pass("legacy_frozen", at),
		parity: checks.ParityReading{Gate: pass("parity_gate", at), NoCritical: pass("parity_critical", at),
			WithinThresholds: pass("parity_thresholds", at)},
		db:          []checks.Result{pass("db.roles", at)},
		artifacts:   checks.Result{ID: "rollback.artifacts", Verdict: checks.Fail, ObservedAt: at},
		checkpoints: pass("rust.checkpoints", at),
		drift:       pass("rust.drift", at),
		// S1 changed the mode, then S2's write probe passed.
		history: History{ModeChanged: at.Add(-2 * time.Minute), WriteProbe: at.Add(-time.Minute),
			Done: map[string]time.Time{"S1": at.Add(-2 * time.Minute), "S2": at.Add(-time.Minute)}},
	}
}

// legacyProjection are the default criteria read from the legacy runtime's
// projection telemetry: n/a once legacy is frozen (after S1).
var legacyProjection = map[string]bool{"unbounded_drift": true, "critical_drift": true}

// quietSamples are every default signal at a healthy value.
func quietSamples(at time.Time) map[string]metrics.Sample {
	values := map[string]float64{
		"rust_write_error_rate": 0.001, "legacy_write_error_rate": 0, "legacy_http_5xx_ratio": 0,
		"rust_write_share": 1, "frozen_write_refusals": 0, "misrouted_writes": 0, "projection_lag": 3,
		"projection_write_failure_ratio": 0, "drift_events": 0, "hash_mismatch_drift": 0, "replay_failures": 0,
	}
	out := make(map[string]metrics.Sample, len(values))
	for name, v := range values {
		out[name] = metrics.Sample{Signal: name, Value: v, HasValue: true, Series: 1, At: at, Volume: 1000, HasVolume: true}
	}
	return out
}

func verdicts(st State) map[string]checks.Verdict {
	out := map[string]checks.Verdict{}
	for _, is := range st.Items {
		out[is.Item.ID] = is.Verdict
	}
	return out
}
