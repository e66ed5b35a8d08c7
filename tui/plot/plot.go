// Package plot draws the screen's charts as text: a braille line chart with
// axes, labels and a threshold line, and a one-row sparkline. Each row is
// written as runs of one style, one escape sequence per run, never one per
// cell: a chart row costs its runes and a few styles on the wire, and a
// row that did not change costs nothing under a cell-diffing renderer.
//
// It replaces ntcharts, which has no release for Bubble Tea v2 and styles
// every cell on its own. The package draws strings only: no model, no
// messages, no state between frames.
package plot

import (
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Style draws a run of cells (lipgloss.Style is one).
type Style interface {
	Render(strs ...string) string
}

// Point is one sample of a series: X (seconds, say) and Y in the chart's
// units.
type Point struct{ X, Y float64 }

// Series is a line through its points, drawn in one style. Later series
// are drawn over earlier ones: a cell shared by two takes both dots and the
// later one's style.
type Series struct {
	Points []Point
	Style  Style
}

// Chart is a braille line chart: y labels and a vertical axis on the left,
// the x axis and its labels below. Values outside [YMin, YMax] are drawn at
// the edge they passed, so a line never leaves its box.
type Chart struct {
	// Width and Height are the whole chart's cells, labels and axes included.
	Width, Height int
	XMin, XMax    float64
	YMin, YMax    float64
	// XLabel and YLabel format an axis value ("14:02", "25%").
	XLabel, YLabel func(float64) string
	// AxisStyle draws the axes and their labels.
	AxisStyle Style
}

// yLabelEvery is how many rows apart the y labels stand, counted up from
// the x axis.
const yLabelEvery = 2

// xLabelGap is the least space between two x labels.
const xLabelGap = 3

// Draw renders the series as Height lines of Width cells. A chart too small
// for one row of plot (Height < 3) or one column is empty.
func (c Chart) Draw(series ...Series) []string {
	plotH := c.Height - 2 // the x axis and its labels below
	labels := make([]string, plotH+1)
	labelW := 0
	for k := 0; k <= plotH; k++ { // k rows above the x axis
		if k%yLabelEvery == 0 {
			labels[k] = c.YLabel(c.YMin + float64(k)/float64(max(plotH, 1))*(c.YMax-c.YMin))
			labelW = max(labelW, ansi.StringWidth(labels[k]))
		}
	}
	plotW := c.Width - labelW - 1
	if plotH < 1 || plotW < 1 {
		return nil
	}
	g := newGrid(plotW, plotH)
	for i, s := range series {
		g.line(c, s.Points, i)
	}
	out := make([]string, 0, c.Height)
	for r := range plotH {
		axis := c.AxisStyle.Render(padLeft(labels[plotH-r], labelW) + "│")
		out = append(out, axis+g.row(r, series))
	}
	out = append(out, c.AxisStyle.Render(padLeft(labels[0], labelW)+"└"+strings.Repeat("─", plotW)))
	return append(out, strings.Repeat(" ", labelW+1)+c.AxisStyle.Render(c.xLabels(plotW)))
}

// xLabels spaces the x labels evenly from the axis's origin, each naming
// the time at its first column. The columns stay put as the window slides,
// so a label's text changes only when its value's text does.
func (c Chart) xLabels(plotW int) string {
	w := ansi.StringWidth(c.XLabel(c.XMin))
	step := w + xLabelGap
	if n := (plotW + xLabelGap) / step; n > 1 {
		step = max(step, (plotW-w)/(n-1))
	}
	var b strings.Builder
	last := ""
	for col := 0; col+w <= plotW; col += step {
		label := c.XLabel(c.XMin + float64(2*col)/float64(max(2*plotW-1, 1))*(c.XMax-c.XMin))
		if label == last {
			continue // a window shorter than its labels' unit: each shown once
		}
		b.WriteString(strings.Repeat(" ", col-ansi.StringWidth(b.String())))
		b.WriteString(label)
		last = label
	}
	return b.String()
}

func padLeft(s string, w int) string {
	return strings.Repeat(" ", max(w-ansi.StringWidth(s), 0)) + s
}

// grid is the plot's braille dots: each cell holds 2×4 of them, and the
// index of the series that last drew in it (-1: none).
type grid struct {
	w, h  int
	dots  []uint8
	owner []int
}

func newGrid(w, h int) *grid {
	g := &grid{w: w, h: h, dots: make([]uint8, w*h), owner: make([]int, w*h)}
	for i := range g.owner {
		g.owner[i] = -1
	}
	return g
}

// brailleBit is the bit of a dot in a braille cell, by column and row.
var brailleBit = [2][4]uint8{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// set lights the dot x (from the left) and y (from the bottom).
func (g *grid) set(x, y, owner int) {
	if x < 0 || y < 0 || x >= 2*g.w || y >= 4*g.h {
		return
	}
	row := g.h - 1 - y/4
	i := row*g.w + x/2
	g.dots[i] |= brailleBit[x%2][3-y%4]
	g.owner[i] = owner
}

// line draws a series' points joined by straight segments.
func (g *grid) line(c Chart, pts []Point, owner int) {
	toDot := func(p Point) (int, int) {
		x := (p.X - c.XMin) / (c.XMax - c.XMin) * float64(2*g.w-1)
		y := (p.Y - c.YMin) / (c.YMax - c.YMin) * float64(4*g.h-1)
		return int(math.Round(x)), int(math.Round(clamp(y, 0, float64(4*g.h-1))))
	}
	for i, p := range pts {
		if math.IsNaN(p.Y) || math.IsNaN(p.X) {
			continue
		}
		x1, y1 := toDot(p)
		x0, y0 := x1, y1
		if i > 0 && !math.IsNaN(pts[i-1].Y) && !math.IsNaN(pts[i-1].X) {
			x0, y0 = toDot(pts[i-1])
		}
		g.segment(x0, y0, x1, y1, owner)
	}
}

// segment is Bresenham's line between two dots.
func (g *grid) segment(x0, y0, x1, y1, owner int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		g.set(x0, y0, owner)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

// row renders one row of cells as runs of one series' style; empty cells
// are plain spaces.
func (g *grid) row(r int, series []Series) string {
	var b, run strings.Builder
	cur := -1
	flush := func() {
		if run.Len() == 0 {
			return
		}
		if cur < 0 {
			b.WriteString(run.String())
		} else {
			b.WriteString(series[cur].Style.Render(run.String()))
		}
		run.Reset()
	}
	for x := range g.w {
		i := r*g.w + x
		if g.owner[i] != cur {
			flush()
			cur = g.owner[i]
		}
		if cur < 0 {
			run.WriteByte(' ')
		} else {
			run.WriteRune(rune(0x2800 + int(g.dots[i])))
		}
	}
	flush()
	return b.String()
}

// sparkRunes are a sparkline's eight heights and the empty one.
var sparkRunes = []rune(" ▁▂▃▄▅▆▇█")

// Sparkline is one row of bars, one per value, each as high as its share of
// top (values above top are full bars). It is plain runes: the caller
// styles the whole line at once.
func Sparkline(values []float64, top float64) string {
	out := make([]rune, len(values))
	for i, v := range values {
		h := 0.0
		if top > 0 && !math.IsNaN(v) {
			h = math.Round(clamp(v/top, 0, 1) * 8)
		}
		out[i] = sparkRunes[int(h)]
	}
	return string(out)
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

func abs(n int) int { return max(n, -n) }

func sign(n int) int {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}
