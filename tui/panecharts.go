package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// drawCharts redraws the panes' charts for the current state and size:
// Rust's share of writes against the cohort target (HEALTH), the write
// error rate per runtime against its critical threshold (ERROR RATE), and
// the projection lag against its threshold (DRIFT). Panes of paneHeight
// have no room and no charts.
func (p *livePanes) drawCharts() {
	p.charts = [4][]string{}
	p.chartsAt = p.state.At
	h := p.height - paneHeight - 1 // the pane's rows and a legend line
	if h < 3 {
		return
	}
	st := p.c.styles
	samples := p.state.Snapshot.Samples
	share := samples[writeShareSignal]
	target, hasTarget := cohortTarget(p.state)
	legend := "rust share of writes"
	if hasTarget {
		legend += st.Crit.Render(fmt.Sprintf(" ── target %.0f%%", target*100))
	}
	p.charts[0] = append([]string{st.Muted.Render(legend)},
		lineChart(st, p.width, h, []chartLine{{share.History, st.Focused}}, target, hasTarget, 100, "%", 1)...)

	crit, hasCrit := critOf(p.c.signals["rust_write_error_rate"])
	legend = st.Focused.Render("rust") + " " + st.Warn.Render("legacy")
	if hasCrit {
		legend += st.Crit.Render(fmt.Sprintf(" ── crit %s", checks.FormatValue(crit, "ratio")))
	}
	p.charts[2] = append([]string{legend}, lineChart(st, p.width, h, []chartLine{
		{samples["rust_write_error_rate"].History, st.Focused},
		{samples["legacy_write_error_rate"].History, st.Warn},
	}, crit, hasCrit, 100, "%", 0)...)

	lagCrit, hasLag := critOf(p.c.signals["projection_lag"])
	legend = st.Focused.Render("projection lag")
	if hasLag {
		legend += st.Crit.Render(fmt.Sprintf(" ── crit %s", checks.FormatValue(lagCrit, "events")))
	}
	p.charts[3] = append([]string{legend}, lineChart(st, p.width, h, []chartLine{
		{samples["projection_lag"].History, st.Focused},
	}, lagCrit, hasLag, 1, "", 0)...)
}

// critOf is a signal's critical threshold, else its warning one.
func critOf(sig *config.Signal) (float64, bool) {
	switch {
	case sig == nil:
		return 0, false
	case sig.Crit != nil:
		return *sig.Crit, true
	case sig.Warn != nil:
		return *sig.Warn, true
	}
	return 0, false
}

// cohortTarget is the share of writes Rust should have (0–1), from what
// the last OK S4 set (set_cohort=N), else where writes are observed to go.
func cohortTarget(s runbook.State) (float64, bool) {
	for _, sub := range s.History.SubSteps["S4"] {
		if v, ok := strings.CutPrefix(sub, "set_cohort="); ok {
			if pct, err := strconv.ParseFloat(v, 64); err == nil {
				return pct / 100, true
			}
		}
	}
	switch s.Observed.WriteTarget.Evidence.Value {
	case "rust":
		return 1, true
	case "legacy":
		return 0, true
	}
	return 0, false
}
