package sandbox_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox"
)

// TestAStickyCohortMisroutesNothingAndAPerRequestSplitDoes: in
// production's cohort phase (Rust accepting writes, 25% of users on it)
// every run keeps to its runtime: the world counts no misrouted append and
// the write path answers no 404, while both revisions serve writes. A
// per-request split of 50% then sends appends to the runtime without their
// run: the world counts them, both runtimes answer them 404 on the write
// path, and the default misrouted_writes query reads above 0.
func TestAStickyCohortMisroutesNothingAndAPerRequestSplitDoes(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{})
	prom := promAPI(t, w.PrometheusURL("production"))
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatalf("loading the generated config: %v", err)
	}
	misrouted := cfg.Environments["production"].Signals["misrouted_writes"].Query
	countOf := func(selector string) float64 {
		v, _, ok := scalarOf(t.Context(), prom, `sum(run_googleapis_com:request_count{service_name="runtime-writes",`+selector+`})`)
		if !ok {
			return 0
		}
		return v
	}

	mustControl(t, w, "production", "set-env", map[string]string{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})
	mustControl(t, w, "production", "cohort", map[string]any{"percent": 25})
	if st := worldState(t, w)["production"]; st.CohortMode != sandbox.CohortSticky || st.CohortPercent != 25 || st.WriteTarget != "split" {
		t.Fatalf("after cohort 25 production is %+v, want a sticky 25%% split", st)
	}
	// Enough writes on Rust that a per-request split would have misrouted
	// dozens of appends by now.
	eventually(t, 2*time.Minute, "200 writes accepted on the rust revision", func() (bool, string) {
		n := countOf(`revision_name=~"runtime-writes-rust-.*",response_code_class="2xx"`)
		return n >= 200, fmt.Sprintf("%.0f", n)
	})
	if st := worldState(t, w)["production"]; st.MisroutedWrites != 0 {
		t.Errorf("a sticky cohort misrouted %d appends", st.MisroutedWrites)
	}
	if n := countOf(`response_code="404"`); n != 0 {
		t.Errorf("the write path answered %.0f requests 404 under a sticky cohort", n)
	}
	if v, seen, ok := scalarOf(t.Context(), prom, misrouted); !ok || v != 0 {
		t.Errorf("misrouted_writes under a sticky cohort reads %s, want 0", seen)
	}
	if n := countOf(`revision_name=~"runtime-writes-legacy-.*",response_code_class="2xx"`); n == 0 {
		t.Error("no write accepted on the legacy revision: the cohort is not split")
	}

	mustControl(t, w, "production", "cohort", map[string]any{"percent": 50, "per_request": true})
	if st := worldState(t, w)["production"]; st.CohortMode != sandbox.CohortPerRequest || st.CohortPercent != 50 {
		t.Fatalf("after cohort --per-request 50 production is %+v", st)
	}
	eventually(t, 2*time.Minute, "404s on both revisions of the write path, counted by the world and the default query", func() (bool, string) {
		vec, err := instant(t.Context(), prom, `count by (revision_name) (run_googleapis_com:request_count{service_name="runtime-writes",response_code="404"})`, time.Now())
		if err != nil {
			return false, err.Error()
		}
		revs := labelValues(vec, "revision_name")
		v, seen, ok := scalarOf(t.Context(), prom, misrouted)
		st := worldState(t, w)["production"]
		return len(revs) == 2 && ok && v > 0 && st.MisroutedWrites > 0,
			fmt.Sprintf("404 on %v, misrouted_writes query %s, world %d", revs, seen, st.MisroutedWrites)
	})
	// A split outside production is possible too (any environment's write
	// path can be split); a sticky cohort is production's only.
	if r := control(t, w, "staging", "cohort", map[string]any{"percent": 25}); r.status != 400 || !strings.Contains(r.body, "production only") {
		t.Errorf("a sticky cohort in staging: %d %s, want 400 naming production", r.status, r.body)
	}
	mustControl(t, w, "staging", "cohort", map[string]any{"percent": 30, "per_request": true})
	if got := controlsOf(worldState(t, w)["staging"]); !slices.Contains(got, "cohort 30 --per-request") {
		t.Errorf("staging's controls %v lack the per-request split", got)
	}
}

func controlsOf(st sandbox.EnvState) []string {
	out := make([]string, len(st.Controls))
	for i, c := range st.Controls {
		out[i] = c.Control
	}
	return out
}
