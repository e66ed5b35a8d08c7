package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/tui/plot"
)

// chartLine is one series of a chart with its style.
type chartLine struct {
	points []metrics.Point
	style  Paint
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
	x0, x1 := chartX(from), chartX(to)
	var series []plot.Series
	if hasThreshold {
		series = append(series, plot.Series{Style: st.Crit,
			Points: []plot.Point{{X: x0, Y: threshold * scale}, {X: x1, Y: threshold * scale}}})
	}
	for _, l := range lines {
		pts := make([]plot.Point, len(l.points))
		for i, p := range l.points {
			pts[i] = plot.Point{X: chartX(p.T), Y: p.V * scale}
		}
		series = append(series, plot.Series{Points: pts, Style: l.style})
	}
	c := plot.Chart{Width: w, Height: h, XMin: x0, XMax: x1, YMin: 0, YMax: top, AxisStyle: st.Muted,
		XLabel: func(v float64) string { return time.Unix(int64(v), 0).UTC().Format("15:04") },
		YLabel: yLabel(top, h, unit),
	}
	return c.Draw(series...)
}

// chartX is a time on the charts' x axis: seconds since the epoch.
func chartX(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// yLabel formats the y labels with as many decimals as their step needs
// ("0.7%", "1.3%" rather than "1%", "1%"), and the unit; the origin is
// plain 0.
func yLabel(top float64, h int, unit string) func(float64) string {
	step := top * 2 / float64(max(h-2, 1))
	decimals := 0
	if step < 1 {
		decimals = min(int(math.Ceil(-math.Log10(step))), 3)
	}
	return func(v float64) string {
		if v == 0 {
			return "0" + unit
		}
		return fmt.Sprintf("%.*f", decimals, v) + unit
	}
}
