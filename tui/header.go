package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

// writeShareSignal tells where writes go (the write target and cohort).
const writeShareSignal = "rust_write_share"

// header is the top line: where the cutover stands, as observed, the clock
// and the mode badge. Every value comes from the last observation round.
func header(c *common, s runbook.State, width int, now time.Time) string {
	st := c.styles
	env := st.Header.Render("CUTOVER " + c.env)
	if c.production {
		env = st.Crit.Render("CUTOVER " + c.env + " [PRODUCTION]")
	}
	// The badge, a loud writers marker and the clock come first so a narrow
	// terminal cuts details, not them.
	parts := []string{st.Badge.Render(" " + c.mode.String() + " "), env}
	writers, loud := "", false
	if in, ok := writersOf(s); ok {
		writers, loud = writersMarker(c, in)
	}
	if loud {
		parts = append(parts, writers)
	}
	shareStale := c.staleSignal(writeShareSignal, s.Snapshot.Samples[writeShareSignal].Age(now))
	parts = append(parts,
		now.Format("15:04:05"),
		"rust: "+observedValue(c, s.Observed.RustWriteMode, c.stale(s.Observed.RustWriteMode.Age(now))),
		"legacy: "+observedValue(c, s.Observed.LegacyFreeze, c.stale(s.Observed.LegacyFreeze.Age(now))),
		"writes → "+observedValue(c, s.Observed.WriteTarget, shareStale),
		"cohort "+cohort(c, s, shareStale),
	)
	if writers != "" && !loud {
		parts = append(parts, writers)
	}
	return fit(strings.Join(parts, st.Muted.Render(" · ")), width)
}

// observedValue shows an observed value coloured by its verdict; missing or
// stale observations say so instead of showing an old value as current.
func observedValue(c *common, r checks.Result, stale bool) string {
	st := c.styles
	v := r.Evidence.Value
	switch {
	case v == "" || r.Verdict == checks.Unknown:
		return st.Stale.Render("unknown")
	case stale:
		return st.Stale.Render(v + " (stale)")
	default:
		return st.Verdict(r.Verdict).Render(v)
	}
}

// cohort is the share of writes on rust; before the first round it is
// unknown, not 0%, and an old share says it is stale.
func cohort(c *common, s runbook.State, stale bool) string {
	pct := s.Observed.CohortPercent
	switch {
	case s.At.IsZero() || math.IsNaN(pct):
		return c.styles.Stale.Render("unknown")
	case stale:
		return c.styles.Stale.Render(fmt.Sprintf("%.0f%% (stale)", pct))
	}
	return fmt.Sprintf("%.0f%%", pct)
}
