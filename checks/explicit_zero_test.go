package checks

import (
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// TestAnExplicitForZeroFailsOnTheFirstBreach loads the file an operator
// writes, not a hand-built signal: `for: 0s` must reach the judge as a zero,
// while the default (10m) leaves the same breach PENDING.
func TestAnExplicitForZeroFailsOnTheFirstBreach(t *testing.T) {
	const base = `
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	breach := metrics.Sample{Value: 0.05, HasValue: true, Series: 1, At: now}
	for _, tc := range []struct {
		name, extra string
		want        Verdict
	}{
		{"explicit for: 0s", "signals:\n  projection_write_failure_ratio: {for: 0s}\n", Fail},
		{"for left out (default 10m)", "", Pending},
	} {
		cfg, err := config.Parse("c.yaml", []byte(base+tc.extra), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		sig := cfg.Environments["staging"].Signals["projection_write_failure_ratio"]
		got := NewThresholdCheck(sig, time.Minute).Evaluate(breach, now)
		if got.Verdict != tc.want {
			t.Errorf("%s: a 5%% breach of crit 1%% is %s (%s), want %s", tc.name, got.Verdict, got.Line(now), tc.want)
		}
	}
}
