package report

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

// The chart's colours. Each line kind has its own, so a reader (and the
// tests) tells the series from the thresholds and the action marks.
var (
	SeriesColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	WarnColor   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	CritColor   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	ActionColor = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// mark is an action on the time axis.
type mark struct {
	at    time.Time
	step  string
	label string
}

// marks are the window's approvals, overrides, outcomes and refusals of a
// step: where an operator acted, or the cockpit refused. Those of one
// second share a mark (an approval and its override), their labels joined.
func marks(recs []journal.Record) []mark {
	var out []mark
	for _, r := range recs {
		var label string
		switch {
		case r.Step == "":
			continue
		case r.Kind == journal.KindApproval, r.Kind == journal.KindOverride, r.Kind == journal.KindRefused:
			label = r.Step + " " + r.Kind
		case r.Kind == journal.KindOutcome && r.Check == "":
			label = r.Step + " " + okWord(r.OK)
		default:
			continue
		}
		if n := len(out); n > 0 && out[n-1].at.Truncate(time.Second).Equal(r.Time.Truncate(time.Second)) {
			if out[n-1].step == r.Step {
				label = strings.TrimPrefix(label, r.Step+" ") // one step's: named once
			}
			out[n-1].label += ", " + label
			continue
		}
		out = append(out, mark{r.Time, r.Step, label})
	}
	return out
}

// writeChartFiles draws one SVG per signal that has a value in the window,
// in dir, and returns their names in order.
func writeChartFiles(dir string, d *data, signals map[string]*config.Signal) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	ms := marks(d.records)
	span := d.span()
	var names []string
	for _, name := range slices.Sorted(maps.Keys(d.series)) {
		if len(d.series[name]) == 0 {
			continue
		}
		p, err := chart(name, d.series[name], signals[name], ms, span)
		if err != nil {
			return names, fmt.Errorf("charting %s: %w", name, err)
		}
		if err := saveSVG(p, filepath.Join(dir, name+".svg")); err != nil {
			return names, err
		}
		names = append(names, name)
	}
	return names, nil
}

// chart is one signal over the window (every chart has the same time
// axis): its values, its warn and crit lines across it, a vertical line
// and a label at every action.
func chart(name string, pts []Point, sig *config.Signal, ms []mark, span [2]time.Time) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = name
	if sig != nil && sig.Title != "" {
		p.Title.Text = sig.Title + " (" + name + ")"
	}
	if sig != nil && sig.Unit != "" {
		p.Y.Label.Text = sig.Unit
	}
	p.X.Label.Text = "UTC"
	p.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05", Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
	xys := make(plotter.XYs, len(pts))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, pt := range pts {
		xys[i] = plotter.XY{X: unix(pt.T), Y: pt.V}
		lo, hi = min(lo, pt.V), max(hi, pt.V)
	}
	first, last := unix(span[0]), unix(span[1])
	var thresholds []threshold
	if sig != nil {
		thresholds = []threshold{{"warn", sig.Warn, WarnColor}, {"crit", sig.Crit, CritColor}}
	}
	for _, t := range thresholds {
		if t.value != nil {
			lo, hi = min(lo, *t.value), max(hi, *t.value)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	series, err := line(xys, SeriesColor, nil)
	if err != nil {
		return nil, err
	}
	p.Add(series)
	var names plotter.XYLabels // each threshold's name at its line's end
	for _, t := range thresholds {
		if t.value == nil {
			continue
		}
		l, err := line(plotter.XYs{{X: first, Y: *t.value}, {X: last, Y: *t.value}}, t.color, []vg.Length{vg.Points(4), vg.Points(3)})
		if err != nil {
			return nil, err
		}
		p.Add(l)
		names.XYs = append(names.XYs, plotter.XY{X: last, Y: *t.value})
		names.Labels = append(names.Labels, fmt.Sprintf("%s %g", t.name, *t.value))
	}
	if len(names.Labels) > 0 {
		l, err := plotter.NewLabels(names)
		if err != nil {
			return nil, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XRight, draw.YBottom
		}
		p.Add(l)
	}
	if err := addMarks(p, ms, first, last, lo, hi); err != nil {
		return nil, err
	}
	p.Y.Min, p.Y.Max = lo, hi+(hi-lo)*0.15 // room for the action labels
	p.X.Min, p.X.Max = first, max(last, first+1)
	return p, nil
}

type threshold struct {
	name  string
	value *float64
	color color.Color
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func line(xys plotter.XYs, c color.Color, dashes []vg.Length) (*plotter.Line, error) {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(1.5), dashes
	return l, nil
}

// addMarks draws the actions inside the chart's time span.
func addMarks(p *plot.Plot, ms []mark, first, last, lo, hi float64) error {
	var labels plotter.XYLabels
	for _, m := range ms {
		x := unix(m.at)
		if x < first || x > last {
			continue
		}
		l, err := line(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}}, ActionColor, []vg.Length{vg.Points(1), vg.Points(2)})
		if err != nil {
			return err
		}
		l.Width = vg.Points(1)
		p.Add(l)
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: hi})
		labels.Labels = append(labels.Labels, m.label)
	}
	if len(labels.Labels) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Rotation = math.Pi / 2
		l.TextStyle[i].Color = ActionColor
	}
	p.Add(l)
	return nil
}

// saveSVG writes p as an SVG of a size that reads on a laptop.
func saveSVG(p *plot.Plot, path string) error {
	c := vgsvg.New(10*vg.Inch, 4*vg.Inch)
	p.Draw(draw.New(c))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = c.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
