package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
)

// fit makes s exactly w cells wide: cut with an ellipsis or padded. A line
// break in s would end the row early and push every pane below out of
// place: it is shown as the boundary shows it (safetext.Newline), and a tab
// as a space. Outside text was cleaned where it entered; s may carry this
// screen's own styling, which is why fit cannot clean it again.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = oneLine(s)
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// oneLine shows line breaks in s as the boundary does (safetext.Newline)
// and a tab as a space. Text styled while it still held a line break was
// padded by lipgloss line by line: call oneLine before styling, not after.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return lineBreaks.Replace(s)
}

var lineBreaks = strings.NewReplacer("\r\n", safetext.Newline, "\n", safetext.Newline, "\r", safetext.Newline, "\t", " ")

// block fits every line to w cells and pads or cuts to h lines, so panes
// can be joined side by side without lipgloss measuring them again.
func block(lines []string, w, h int) []string {
	out := make([]string, h)
	blank := strings.Repeat(" ", max(w, 0))
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], w)
		} else {
			out[i] = blank
		}
	}
	return out
}

// joinColumns places blocks side by side, two cells apart, and joins the
// rows into one string, sized once. Every block comes from block(),
// exactly its width and height, so the rows are joined as they are:
// lipgloss.JoinHorizontal would measure every cell again, which costs 40%
// of View's budget at 200×50.
func joinColumns(cols ...[]string) string {
	n := 0
	for _, col := range cols {
		for _, l := range col {
			n += len(l) + 3 // the gap, or the line's end
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i := range cols[0] {
		if i > 0 {
			b.WriteByte('\n')
		}
		for c, col := range cols {
			if c > 0 {
				b.WriteString("  ")
			}
			if i < len(col) {
				b.WriteString(col[i])
			}
		}
	}
	return b.String()
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// ageText is how old something is, as the screen shows it: whole seconds
// up to a minute, then whole minutes, then hours and minutes. It changes no
// more often than its meaning needs: a value a minute old does not need its
// seconds redrawn every second ("1m05s", "1m06s" …), and under a renderer
// that writes only changed cells, text that holds still costs nothing.
// checks.FormatAge, the precise form for the CLI and the journal, gives
// the rest.
func ageText(d time.Duration) string {
	if d >= time.Minute && d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return checks.FormatAge(d)
}
