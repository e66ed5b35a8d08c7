package runbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// Every default signal the runbook reads is one `config validate` refuses
// to remove, naming the runbook item: rounds in which the runbook reads
// each of them (after S1; with legacy the write authority; on a quiet write
// path, where S1's target leans on the refusals) are evaluated without
// each signal, and every signal a check then reads as "signal not
// configured" must be a removal the config refuses.
func TestConfigRefusesRemovingWhatTheRunbookReads(t *testing.T) {
	legacyWrites := goodObservation(t0)
	legacyWrites.legacyFreeze, legacyWrites.legacyFrozen.Verdict = checks.Accepting, checks.Fail
	routed := legacyWrites.snapshot.Samples["rust_write_share"]
	routed.Value = 0 // every write on legacy
	legacyWrites.snapshot.Samples["rust_write_share"] = routed
	quiet := goodObservation(t0)
	share := quiet.snapshot.Samples["rust_write_share"]
	share.HasValue = false
	quiet.snapshot.Samples["rust_write_share"] = share

	read := map[string]bool{}
	for _, o := range []observation{goodObservation(t0), legacyWrites, quiet} {
		for name := range config.DefaultSignals() {
			cfg := testConfig(t, "http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1", t.TempDir(), false)
			env := cfg.Environments["staging"]
			delete(env.Signals, name)
			st := newEvaluator(cfg, env, RunbookItems()).evaluate(o)
			if readsMissing(st, name) {
				read[name] = true
			}
		}
	}
	if !read["legacy_write_error_rate"] || !read["rust_write_error_rate"] || !read["rust_write_share"] {
		t.Fatalf("the runbook read only %v: the rounds do not exercise both authorities and the write target", slices.Sorted(maps.Keys(read)))
	}
	if len(read) < 5 {
		t.Fatalf("the runbook read only %v: the rounds do not exercise it", slices.Sorted(maps.Keys(read)))
	}
	for _, name := range slices.Sorted(maps.Keys(read)) {
		src := fmt.Sprintf(`
incidents:
  critical_parity: {runbook: I1, source: parity_reports, above: 0}
signals:
  %s: null
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`, name)
		_, err := config.Parse("c.yaml", []byte(src), func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), "removes signal "+name) || !strings.Contains(err.Error(), "runbook item") {
			t.Errorf("removing %s, which the runbook reads: %v, want it refused naming the runbook item", name, err)
		}
	}
}

// readsMissing says whether a check of st read name as not configured.
func readsMissing(st State, name string) bool {
	results := []checks.Result{st.Observed.RustWriteMode, st.Observed.LegacyFreeze, st.Observed.WriteTarget}
	for _, is := range st.Items {
		results = append(results, is.Checks...)
	}
	return slices.ContainsFunc(results, func(r checks.Result) bool {
		return (r.ID == name || strings.Contains(r.Evidence.Source, name)) && strings.Contains(r.Evidence.Reason, "signal not configured")
	})
}
