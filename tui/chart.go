package tui

import (
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/NimbleMarkets/ntcharts/linechart"
	tslc "github.com/NimbleMarkets/ntcharts/linechart/timeserieslinechart"
	"github.com/charmbracelet/lipgloss"

	"github.com/openagents/cockpit/metrics"
)

// chartLine is one series of a chart with its style.
type chartLine struct {
	name   string
	points []metrics.Point
	style  lipgloss.Style
}

// lineChart draws series over their window with a threshold across it (the
// value past which the check objects), scaled so the threshold is always in
// view. Values are multiplied by scale (1 for counts, 100 for a ratio shown
// in percent) and the y labels say the unit. A ceiling above 0 fixes the
// top of the scale (a share never exceeds 100%).
func lineChart(st Styles, w, h int, lines []chartLine, threshold float64, hasThreshold bool, scale float64, unit string, ceiling float64) []string {
	var from, to time.Time
	top := 0.0
	for _, l := range lines {
		for _, p := range l.points {
			if from.IsZero() || p.T.Before(from) {
				from = p.T
			}
			if p.T.After(to) {
				to = p.T
			}
			top = max(top, p.V*scale)
		}
	}
	if from.IsZero() || !to.After(from) || w < 12 || h < 3 {
		return []string{st.Muted.Render("(no history to chart yet)")}
	}
	if hasThreshold {
		top = max(top, threshold*scale)
	}
	top = max(top*1.15, 1e-9)
	if ceiling > 0 {
		top = ceiling * scale
	}
	c := tslc.New(w, h,
		tslc.WithTimeRange(from, to), tslc.WithYRange(0, top),
		tslc.WithXYSteps(2, 2),
		tslc.WithXLabelFormatter(func(_ int, v float64) string { return time.Unix(int64(v), 0).UTC().Format("15:04") }),
		tslc.WithYLabelFormatter(func(_ int, v float64) string { return linechart.DefaultLabelFormatter()(0, v) + unit }),
		tslc.WithAxesStyles(st.Muted, st.Muted),
	)
	if hasThreshold {
		c.SetDataSetStyle("threshold", st.Crit)
		c.SetDataSetLineStyle("threshold", runes.ThinLineStyle)
		c.PushDataSet("threshold", tslc.TimePoint{Time: from, Value: threshold * scale})
		c.PushDataSet("threshold", tslc.TimePoint{Time: to, Value: threshold * scale})
	}
	for _, l := range lines {
		c.SetDataSetStyle(l.name, l.style)
		for _, p := range l.points {
			c.PushDataSet(l.name, tslc.TimePoint{Time: p.T, Value: p.V * scale})
		}
	}
	c.DrawBrailleAll()
	return strings.Split(c.View(), "\n")
}
