package plot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// sgr is a style that wraps a run in one colour's sequences.
type sgr string

func (s sgr) Render(strs ...string) string {
	return "\x1b[" + string(s) + "m" + strings.Join(strs, " ") + "\x1b[m"
}

func chart(w, h int) Chart {
	return Chart{Width: w, Height: h, XMin: 0, XMax: 100, YMin: 0, YMax: 10, AxisStyle: sgr("90"),
		XLabel: func(v float64) string { return fmt.Sprintf("t%02.0f", v) },
		YLabel: func(v float64) string { return fmt.Sprintf("%.0f%%", v) }}
}

// A chart is exactly its size, with y labels every other row from the
// axis, the axis, and x labels from the origin.
func TestChartLayout(t *testing.T) {
	lines := chart(40, 8).Draw(Series{Points: []Point{{0, 0}, {100, 10}}, Style: sgr("36")})
	if len(lines) != 8 {
		t.Fatalf("%d lines, want 8", len(lines))
	}
	for i, l := range lines[:7] {
		if w := ansi.StringWidth(l); w != 40 {
			t.Errorf("row %d is %d cells wide: %q", i, w, ansi.Strip(l))
		}
	}
	plain := make([]string, len(lines))
	for i, l := range lines {
		plain[i] = ansi.Strip(l)
	}
	for row, want := range map[int]string{0: "10%│", 2: " 7%│", 4: " 3%│", 6: " 0%└───"} {
		if !strings.HasPrefix(plain[row], want) {
			t.Errorf("row %d = %q, want it to start %q", row, plain[row], want)
		}
	}
	if !strings.HasPrefix(plain[7], "    t00") || strings.Count(plain[7], "t") < 3 {
		t.Errorf("x labels %q, want several from the origin", plain[7])
	}
	// A line from the bottom-left to the top-right corner lights both.
	if first := []rune(strings.SplitN(plain[5], "│", 2)[1])[0]; first == ' ' {
		t.Errorf("the line does not start at the origin: %q", plain[5])
	}
	if last := []rune(plain[0]); last[len(last)-1] == ' ' {
		t.Errorf("the line does not reach the top right: %q", plain[0])
	}
}

// A row is one styled run per series it crosses, never a sequence per
// cell: a flat line across the whole plot is a single run.
func TestChartRowsAreRunsOfOneStyle(t *testing.T) {
	c := chart(60, 6)
	lines := c.Draw(
		Series{Points: []Point{{0, 5}, {100, 5}}, Style: sgr("31")},
		Series{Points: []Point{{0, 1}, {50, 1}}, Style: sgr("36")},
	)
	var threshold string
	for _, l := range lines[:4] {
		if strings.Contains(l, "\x1b[31m") {
			threshold = l
		}
	}
	if threshold == "" {
		t.Fatalf("no row holds the threshold:\n%s", strings.Join(lines, "\n"))
	}
	if n := strings.Count(threshold, "\x1b[31m"); n != 1 {
		t.Errorf("the threshold row opens its style %d times, want one run: %q", n, threshold)
	}
	plot := strings.SplitN(ansi.Strip(threshold), "│", 2)[1]
	if strings.ContainsRune(plot, ' ') {
		t.Errorf("the threshold does not cross the whole plot: %q", plot)
	}
}

// Values beyond the range are drawn at its edge; nothing leaves the box.
func TestChartClampsValuesOutsideItsRange(t *testing.T) {
	lines := chart(30, 6).Draw(Series{Points: []Point{{0, 50}, {100, -5}}, Style: sgr("36")})
	if len(lines) != 6 {
		t.Fatalf("%d lines", len(lines))
	}
	if top := ansi.Strip(lines[0]); strings.TrimSpace(strings.SplitN(top, "│", 2)[1]) == "" {
		t.Errorf("a value above the top is not drawn at the top: %q", top)
	}
}

// A chart with no room for a plot row or column is empty.
func TestChartTooSmallIsEmpty(t *testing.T) {
	if lines := chart(4, 2).Draw(Series{Points: []Point{{0, 1}}}); lines != nil {
		t.Errorf("a 4×2 chart drew %q", lines)
	}
}

func TestSparklineHeights(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		top    float64
		want   string
	}{
		{[]float64{1, 2, 3, 4, 5}, 5, "▂▃▅▆█"},
		{[]float64{0, 10, 20}, 10, " ██"}, // above top: a full bar
		{[]float64{1, 1}, 0, "  "},        // no scale: nothing to draw
	} {
		if got := Sparkline(tc.values, tc.top); got != tc.want {
			t.Errorf("Sparkline(%v, %v) = %q, want %q", tc.values, tc.top, got, tc.want)
		}
	}
}
