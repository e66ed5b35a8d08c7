package checks

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A report stamped in the future (a harness with a wrong clock, or a
// hand-written file) would never turn stale and would mask every later
// report, so it is UNKNOWN "in the future (clock skew?)" beyond
// max_clock_skew (skew.Default unless configured); within it, it counts.
func TestReadParityRefusesAReportFromTheFuture(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		ahead   time.Duration
		allowed time.Duration // the reader's MaxClockSkew; 0: skew.Default (5 s)
		want    Verdict
	}{
		{"within the default skew", 3 * time.Second, 0, Pass},
		{"beyond the default skew", 20 * time.Second, 0, Unknown},
		{"within a configured skew", 20 * time.Second, 30 * time.Second, Pass},
		{"a year ahead", 365 * 24 * time.Hour, 30 * time.Second, Unknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "a.json", report(now.Add(c.ahead), "", `{"critical":0,"warning":0}`, allowGate))
			r := &ParityReader{MaxClockSkew: c.allowed}
			pr := r.ReadContext(t.Context(), filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
			for _, res := range []Result{pr.Gate, pr.NoCritical, pr.WithinThresholds} {
				if res.Verdict != c.want {
					t.Errorf("%s: %s, want %s (%s)", res.ID, res.Verdict, c.want, res.Line(now))
				}
				if c.want == Unknown && !strings.Contains(res.Evidence.Reason, "in the future (clock skew?)") {
					t.Errorf("%s reason %q does not say the report is from the future (clock skew?)", res.ID, res.Evidence.Reason)
				}
			}
		})
	}
}

// A named pipe among the reports (nothing ever writes it) hung every
// reader forever: it is now UNKNOWN at once, named, and an allow in an
// older report does not stand in for it.
func TestReadParityRefusesANamedPipe(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	write(t, dir, "a.json", report(now.Add(-time.Minute), "", `{"critical":0,"warning":0}`, allowGate))
	fifo := filepath.Join(dir, "b.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan ParityReading, 1)
	go func() { done <- ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now) }()
	var pr ParityReading
	select {
	case pr = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("reading the reports still blocks on the named pipe after 30s")
	}
	for _, res := range []Result{pr.Gate, pr.NoCritical, pr.WithinThresholds} {
		if res.Verdict != Unknown || !strings.Contains(res.Evidence.Reason, fifo) || !strings.Contains(res.Evidence.Reason, "named pipe") {
			t.Errorf("%s: %s %q, want UNKNOWN naming the named pipe %s", res.ID, res.Verdict, res.Evidence.Reason, fifo)
		}
	}
	_ = os.Remove(fifo)
}

// A report whose file cannot even be stat'ed (a hung file system; here a
// symlink loop, which fails the same way, deterministically) has no time
// to compete by: it counts as the newest, so an older allow does not
// stand in for it.
func TestReadParityCountsAnUnstatableReportAsTheNewest(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	write(t, dir, "a.json", report(now.Add(-time.Minute), "", `{"critical":0,"warning":0}`, allowGate))
	loop := filepath.Join(dir, "b.json")
	if err := os.Symlink(filepath.Join(dir, "c.json"), loop); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(loop, filepath.Join(dir, "c.json")); err != nil {
		t.Fatal(err)
	}
	pr := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
	if pr.Gate.Verdict != Unknown || !strings.Contains(pr.Gate.Evidence.Reason, "too many levels of symbolic links") {
		t.Errorf("P1 %s %q, want UNKNOWN for the report that cannot be read", pr.Gate.Verdict, pr.Gate.Evidence.Reason)
	}
}
