package checks

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A report stamped in the future (a harness with a wrong clock, or a
// hand-written file) would never turn stale and would mask every later
// report, so it is UNKNOWN; a few seconds of skew are tolerated.
func TestReadParityRefusesAReportFromTheFuture(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		ahead time.Duration
		want  Verdict
	}{
		{"seconds of skew", 20 * time.Second, Pass},
		{"a year ahead", 365 * 24 * time.Hour, Unknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "a.json", report(now.Add(c.ahead), "", `{"critical":0,"warning":0}`, allowGate))
			pr := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
			for _, r := range []Result{pr.Gate, pr.NoCritical, pr.WithinThresholds} {
				if r.Verdict != c.want {
					t.Errorf("%s: %s, want %s (%s)", r.ID, r.Verdict, c.want, r.Line(now))
				}
				if c.want == Unknown && !strings.Contains(r.Evidence.Reason, "in the future") {
					t.Errorf("%s reason %q does not say the report is from the future", r.ID, r.Evidence.Reason)
				}
			}
		})
	}
}
