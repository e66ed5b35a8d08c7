package checks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// The default legacy freeze probe (no freeze_probe in the config) tells a
// frozen legacy runtime from an accepting one through internal auth, without
// any principal header and without writing.
func TestDefaultLegacyFreezeProbeSeesBothStates(t *testing.T) {
	for _, frozen := range []bool{false, true} {
		w := newWorld(t, "shadow_only", frozen)
		src := fmt.Sprintf("environments:\n  staging:\n    prometheus: {url: \"http://127.0.0.1:9\"}\n"+
			"    rust_runtime: {url: %q}\n    legacy_runtime: {url: %q}\n", w.env.RustRuntime.URL, w.env.LegacyRuntime.URL)
		cfg, err := config.Parse("c.yaml", []byte(src), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		w.env = cfg.Environments["staging"]
		state, r := w.probes(testSecret).LegacyFrozen(context.Background())
		want := map[bool]FreezeState{false: Accepting, true: Frozen}[frozen]
		if state != want || r.Verdict != Pass {
			t.Errorf("frozen=%t: %s %s, want %s (%s)", frozen, state, r.Verdict, want, r.Line(time.Now()))
		}
		if n := w.legacy.Writes(); n != 0 {
			t.Errorf("frozen=%t: the probe wrote %d records", frozen, n)
		}
	}
}
