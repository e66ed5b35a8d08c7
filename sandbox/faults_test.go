package sandbox_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox"
)

// faultDeadline bounds how long a fault may take to show in its signal:
// a few scrapes plus the longest rate window's first samples, with room for
// a busy CI machine.
const faultDeadline = 30 * time.Second

// faultWorld is a world with its generated staging signals and a client for
// its embedded Prometheus.
type faultWorld struct {
	t       *testing.T
	w       *sandbox.World
	signals map[string]*config.Signal
	prom    promv1.API
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	w := startWorld(t, sandbox.Options{})
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatalf("loading the generated config: %v", err)
	}
	return &faultWorld{t: t, w: w, signals: cfg.Environments["staging"].Signals, prom: promAPI(t, w.PrometheusURL("staging"))}
}

func (f *faultWorld) fault(name string, on bool) {
	f.t.Helper()
	mustControl(f.t, f.w, "staging", "fault", map[string]any{"name": name, "on": on})
}

// rustTraffic makes Rust the authority and sends it every write, so the
// projector has events to drift or regress on.
func (f *faultWorld) rustTraffic() {
	f.t.Helper()
	mustControl(f.t, f.w, "staging", "set-env", map[string]string{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})
	mustControl(f.t, f.w, "staging", "route-writes", map[string]string{"target": "rust"})
}

// waitSignal polls the generated config's query for signal until ok holds.
func (f *faultWorld) waitSignal(signal, want string, ok func(float64) bool) {
	f.t.Helper()
	f.waitQuery(f.query(signal), signal+" "+want, ok)
}

func (f *faultWorld) query(signal string) string {
	f.t.Helper()
	s, found := f.signals[signal]
	if !found {
		f.t.Fatalf("the generated config has no signal %q", signal)
	}
	return s.Query
}

func (f *faultWorld) waitQuery(query, what string, ok func(float64) bool) {
	f.t.Helper()
	eventually(f.t, faultDeadline, what, func() (bool, string) {
		v, seen, answered := scalarOf(f.t.Context(), f.prom, query)
		return answered && ok(v), seen
	})
}

func TestFaultsMoveTheirSignals(t *testing.T) {
	t.Parallel()
	above := func(x float64) func(float64) bool { return func(v float64) bool { return v > x } }
	tests := []struct {
		fault string
		prove func(t *testing.T, f *faultWorld)
	}{
		{sandbox.FaultErrorSpike, func(t *testing.T, f *faultWorld) {
			f.waitSignal("write_error_rate", "≤ 0.02 before the fault", func(v float64) bool { return v <= 0.02 })
			f.fault(sandbox.FaultErrorSpike, true)
			f.waitSignal("write_error_rate", "> 0.02", above(0.02))
		}},
		{sandbox.FaultDrift, func(t *testing.T, f *faultWorld) {
			f.rustTraffic()
			f.waitSignal("drift_events", "== 0 before the fault", func(v float64) bool { return v == 0 })
			f.fault(sandbox.FaultDrift, true)
			f.waitSignal("drift_events", "> 0", above(0))
		}},
		{sandbox.FaultCheckpointRegression, func(t *testing.T, f *faultWorld) {
			f.rustTraffic()
			// The position must have risen before it can go backwards.
			f.waitQuery(`max(runtime_projector_checkpoint_position)`, "checkpoint position > 0", above(0))
			f.waitSignal("checkpoint_regression", "== 0 before the fault", func(v float64) bool { return v == 0 })
			f.fault(sandbox.FaultCheckpointRegression, true)
			f.waitSignal("checkpoint_regression", "> 0", above(0))
		}},
		{sandbox.FaultReadinessDown, func(t *testing.T, f *faultWorld) {
			rust, _ := f.w.RuntimeURLs("staging")
			f.waitSignal("rust_ready", "== 1 before the fault", func(v float64) bool { return v == 1 })
			f.fault(sandbox.FaultReadinessDown, true)
			f.waitSignal("rust_ready", "== 0", func(v float64) bool { return v == 0 })
			if r := call(t, http.MethodGet, rust+"/readyz", nil, nil); r.status != http.StatusServiceUnavailable {
				t.Errorf("GET /readyz under readiness-down = %d %s, want 503", r.status, r.body)
			}
		}},
		{sandbox.FaultCriticalParity, func(t *testing.T, f *faultWorld) {
			f.waitSignal("parity_critical", "== 0 before the fault", func(v float64) bool { return v == 0 })
			if d := newestReportDecision(t, f.w); d != "allow" {
				t.Fatalf("newest parity report before the fault = %s, want allow", d)
			}
			f.fault(sandbox.FaultCriticalParity, true)
			f.waitSignal("parity_critical", "> 0", above(0))
			if d := newestReportDecision(t, f.w); d != "block" {
				t.Errorf("newest parity report under critical-parity = %s, want block", d)
			}
		}},
		{sandbox.FaultPrometheusOutage, func(t *testing.T, f *faultWorld) {
			f.waitQuery("vector(1)", "the query API answers", above(0))
			f.fault(sandbox.FaultPrometheusOutage, true)
			if _, err := instant(t.Context(), f.prom, "vector(1)", time.Now()); err == nil {
				t.Fatal("a query during prometheus-outage succeeded, want an error")
			}
			f.fault(sandbox.FaultPrometheusOutage, false)
			f.waitQuery(f.query("rust_ready"), "rust_ready answers after the outage", func(float64) bool { return true })
		}},
		{sandbox.FaultPrometheusSlow, func(t *testing.T, f *faultWorld) {
			f.fault(sandbox.FaultPrometheusSlow, true)
			start := time.Now()
			if _, err := instant(t.Context(), f.prom, "vector(1)", time.Now()); err != nil {
				t.Fatalf("a slow query failed: %v", err)
			}
			// The world's slow fault delays every answer by 3s (sandbox/env.go).
			if took := time.Since(start); took < 3*time.Second {
				t.Errorf("a query under prometheus-slow took %s, want ≥ 3s", took)
			}
		}},
		{sandbox.FaultLegacyNotFrozen, func(t *testing.T, f *faultWorld) {
			_, legacy := f.w.RuntimeURLs("staging")
			mustControl(t, f.w, "staging", "set-env", map[string]string{"runtime": "legacy", "assignment": "LEGACY_RUNTIME_WRITE_FREEZE=true"})
			f.fault(sandbox.FaultLegacyNotFrozen, true)
			r := call(t, http.MethodPost, legacy+"/internal/v1/codex/workers", map[string]any{"worker_id": "h9-leak"}, signedHeader(t, f.w, nil))
			if r.status != http.StatusAccepted {
				t.Errorf("signed valid legacy write with the freeze set and legacy-not-frozen on = %d %s, want 202", r.status, r.body)
			}
			if !worldState(t, f.w)["staging"].LegacyWriteFreeze {
				t.Error("ctl state says the freeze is not set: the fault must keep reporting it set")
			}
		}},
		{sandbox.FaultActuatorFailure, func(t *testing.T, f *faultWorld) {
			f.fault(sandbox.FaultActuatorFailure, true)
			r := control(t, f.w, "staging", "set-env", map[string]string{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})
			if r.status != http.StatusBadGateway {
				t.Fatalf("a control under actuator-failure = %d %s, want 502", r.status, r.body)
			}
			st := worldState(t, f.w)["staging"]
			if st.RustWriteMode != "shadow_only" {
				t.Errorf("rust_write_mode = %q after a failed control, want shadow_only (unchanged)", st.RustWriteMode)
			}
			if n := len(st.Controls); n != 1 || st.Controls[0].OK || st.Controls[0].Error == "" {
				t.Errorf("controls = %+v, want the one failed control recorded with its error", st.Controls)
			}
			rust, _ := f.w.RuntimeURLs("staging")
			if r := call(t, http.MethodPost, rust+"/internal/v1/runs", map[string]any{}, nil); r.status != http.StatusServiceUnavailable {
				t.Errorf("rust write after a failed control = %d, want 503 (still shadow_only)", r.status)
			}
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.fault] = true
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			tt.prove(t, newFaultWorld(t))
		})
	}
	for _, name := range sandbox.FaultNames() {
		if !covered[name] {
			t.Errorf("fault %s has no test proving what it moves", name)
		}
	}
}

// newestReportDecision is the gate decision of the newest report (by
// generated_at) in the staging reports directory.
func newestReportDecision(t *testing.T, w *sandbox.World) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(w.Dir(), "reports", "staging", "parity-*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no parity reports in %s (err %v)", w.Dir(), err)
	}
	var newest time.Time
	decision := ""
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		var r struct {
			GeneratedAt time.Time `json:"generated_at"`
			Gate        struct {
				Decision string `json:"decision"`
			} `json:"gate"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("decoding %s: %v", p, err)
		}
		if r.GeneratedAt.After(newest) {
			newest, decision = r.GeneratedAt, r.Gate.Decision
		}
	}
	return decision
}
