package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

// header is the top line: where the cutover stands, as observed, the clock
// and the mode badge. Every value comes from the last observation round.
func header(c *common, s runbook.State, width int, now time.Time) string {
	st := c.styles
	env := st.Header.Render("CUTOVER " + c.env)
	if c.production {
		env = st.Crit.Render("CUTOVER " + c.env + " [PRODUCTION]")
	}
	// The badge and the clock come first so a narrow terminal cuts details, not them.
	parts := []string{
		st.Badge.Render(" " + c.mode.String() + " "),
		env,
		now.Format("15:04:05"),
		"rust: " + observedValue(c, s.Observed.RustWriteMode, now),
		"legacy: " + observedValue(c, s.Observed.LegacyFreeze, now),
		"writes → " + observedValue(c, s.Observed.WriteTarget, now),
		"cohort " + cohort(c, s),
	}
	return fit(strings.Join(parts, st.Muted.Render(" · ")), width)
}

// observedValue shows an observed value coloured by its verdict; missing or
// stale observations say so instead of showing an old value as current.
func observedValue(c *common, r checks.Result, now time.Time) string {
	st := c.styles
	v := r.Evidence.Value
	switch {
	case v == "" || r.Verdict == checks.Unknown:
		return st.Stale.Render("unknown")
	case c.stale(r.Age(now)):
		return st.Stale.Render(v + " (stale)")
	default:
		return st.Verdict(r.Verdict).Render(v)
	}
}

// cohort is the share of writes on rust; before the first round it is
// unknown, not 0%.
func cohort(c *common, s runbook.State) string {
	pct := s.Observed.CohortPercent
	if s.At.IsZero() || math.IsNaN(pct) {
		return c.styles.Stale.Render("unknown")
	}
	return fmt.Sprintf("%.0f%%", pct)
}
