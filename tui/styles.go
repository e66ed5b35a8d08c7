package tui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/output"
)

// Styles are the screen's semantic styles, defined once. Panes never write a
// colour literal: they ask for OK, Warn or Crit. Colours are the basic ANSI
// sixteen so a 16-colour terminal shows the same meaning, and every state
// also has a word or symbol so NO_COLOR loses nothing.
type Styles struct {
	OK, Warn, Crit, Stale, Muted, Focused Paint
	Title, Header, Badge, Selected        Paint
}

// Paint is a lipgloss style reduced to the escape sequences it puts around
// a text. The screen styles a few words at a time, hundreds of times a
// frame, and lipgloss's Render (which measures, wraps, pads and borders
// any block) was a third of View's time; Paint's Render is two string
// joins. Text is made one line (oneLine) before it is styled, and Paint
// never pads it. The lipgloss style stays for what needs one (the help
// bubble).
type Paint struct {
	lipgloss.Style
	open, close string
}

func newPaint(st lipgloss.Style) Paint {
	const probe = "x"
	out := st.Render(probe)
	i := strings.Index(out, probe)
	return Paint{Style: st, open: out[:i], close: out[i+len(probe):]}
}

// Render wraps the texts, joined by spaces as lipgloss joins them, in the
// style's sequences; an empty text stays empty.
func (p Paint) Render(strs ...string) string {
	s := strings.Join(strs, " ")
	if s == "" || p.open == "" && p.close == "" {
		return s
	}
	return p.open + s + p.close
}

// NewStyles is the palette for a terminal background: dark until the
// terminal answers the background-colour query (tea.BackgroundColorMsg),
// so no frame ever waits for an answer a silent terminal never sends. On a
// light background the focus colour is blue, as cyan on white is hard to
// read. The program reduces colours to what the terminal shows (NO_COLOR,
// 16 colours); a pinned colorprofile.NoTTY or ASCII profile (tests, a pipe)
// gets styles that write no escape at all.
func NewStyles(p colorprofile.Profile, dark bool) Styles {
	focus := lipgloss.Color("6")
	if !dark {
		focus = lipgloss.Color("4")
	}
	plain := newPaint(lipgloss.NewStyle())
	if p != colorprofile.Unknown && p <= colorprofile.ASCII {
		return Styles{plain, plain, plain, plain, plain, plain, plain, plain, plain, plain}
	}
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	bold := lipgloss.NewStyle().Bold(true)
	return Styles{
		OK:       newPaint(output.ToneOK.Style()),
		Warn:     newPaint(output.ToneWarn.Style()),
		Crit:     newPaint(output.ToneCrit.Style()),
		Stale:    newPaint(output.ToneStale.Style()),
		Muted:    newPaint(fg(lipgloss.Color("8"))),
		Focused:  newPaint(fg(focus).Bold(true)),
		Title:    newPaint(bold),
		Header:   newPaint(bold),
		Badge:    newPaint(bold.Reverse(true)),
		Selected: newPaint(lipgloss.NewStyle().Reverse(true)),
	}
}

// Verdict picks the style that matches a verdict (output.ToneOf: the one
// verdict→colour map, the scripted output's too).
func (s Styles) Verdict(v checks.Verdict) Paint {
	switch output.ToneOf(v) {
	case output.ToneOK:
		return s.OK
	case output.ToneWarn:
		return s.Warn
	case output.ToneCrit:
		return s.Crit
	default:
		return s.Stale
	}
}

// verdictSymbol gives each verdict a glyph that survives a colourless terminal.
func verdictSymbol(v checks.Verdict) string {
	switch v {
	case checks.Pass:
		return "✔"
	case checks.Warn:
		return "!"
	case checks.Pending:
		return "…"
	case checks.Fail:
		return "✘"
	case checks.NotJudged:
		return "–"
	default:
		return "?"
	}
}
