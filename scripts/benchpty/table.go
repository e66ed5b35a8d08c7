package main

import (
	"fmt"
	"io"
	"time"
)

// grafterm is issue 16's side-by-side figure for grafterm (same six panes,
// same Prometheus, 1 s refresh): the budget where docs/design.md §9 says
// "≤ grafterm". grafterm itself cannot be built here (the module proxy
// refuses github.com/slok/grafterm), so its figures are quoted, not measured.
var grafterm = map[string]float64{
	"bytes 160x48": 220, "bytes 80x24": 52, "rss": 18.4, "cpu": 3.90, "req": 6.0, "paint": 333,
}

// row is one line of the table.
type row struct {
	measure, value, budget, grafterm, verdict string
}

// table gathers the rows and whether any missed its budget.
type table struct {
	rows   []row
	missed bool
}

func (t *table) add(measure string, value, budget float64, unit, format, graftermFig string) {
	verdict := "PASS"
	if value > budget {
		verdict, t.missed = "MISS", true
	}
	t.rows = append(t.rows, row{measure, fmt.Sprintf(format, value) + " " + unit, fmt.Sprintf("≤ "+format+" %s", budget, unit), graftermFig, verdict})
}

// steady adds a watch window's rows.
func (t *table) steady(s runSpec, r result) {
	size := fmt.Sprintf("%dx%d", s.cols, s.rows)
	g := grafterm["bytes "+size]
	t.add("watch terminal bytes/s "+size, r.bytesPerSec, g, "B/s", "%.0f", fmt.Sprintf("%.0f B/s", g))
	t.add("watch peak RSS (VmHWM) "+size, float64(r.peakRSSKiB)/1024, 20, "MiB", "%.1f", fmt.Sprintf("%.1f MB", grafterm["rss"]))
	t.add("watch CPU, % of a core "+size, r.cpuPct, 0.5, "%", "%.2f", fmt.Sprintf("%.2f %%", grafterm["cpu"]))
	t.add("Prometheus requests/s "+size, r.reqPerSec, 1.5, "/s", "%.2f", fmt.Sprintf("%.1f /s", grafterm["req"]))
	t.add("watch first paint, bare pty "+size, ms(r.firstPaint), 1000, "ms", "%.0f", "—")
}

// paint adds a first-paint row: ≤ 100 ms where the pty answers like a
// terminal, ≤ 1 s where it never answers (issue 16, item 4).
func (t *table) paint(s runSpec, d time.Duration) {
	pty, budget := "bare pty", 1000.0
	if s.answer {
		pty, budget = "answering pty", 100
	}
	t.add(fmt.Sprintf("%s first paint, %s", s.verb, pty), ms(d), budget, "ms", "%.0f", fmt.Sprintf("%.0f ms", grafterm["paint"]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "%-38s %12s %14s %14s  %s\n", "measure", "cockpit", "budget", "grafterm*", "")
	for _, r := range t.rows {
		fmt.Fprintf(w, "%-38s %12s %14s %14s  %s\n", r.measure, r.value, r.budget, r.grafterm, r.verdict)
	}
	fmt.Fprintln(w, "* grafterm: issue 16's measured figures, quoted (the module proxy refuses github.com/slok/grafterm, so it is not run here)")
}
