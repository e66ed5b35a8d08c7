package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
)

// Styles are the screen's semantic styles, defined once. Panes never write a
// colour literal: they ask for OK, Warn or Crit. Colours are the basic ANSI
// sixteen so a 16-colour terminal shows the same meaning, and every state
// also has a word or symbol so NO_COLOR loses nothing.
type Styles struct {
	OK, Warn, Crit, Stale, Muted, Focused lipgloss.Style
	Title, Header, Badge, Selected        lipgloss.Style
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
	if p != colorprofile.Unknown && p <= colorprofile.ASCII {
		return Styles{}
	}
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	return Styles{
		OK:       fg(lipgloss.Color("2")),
		Warn:     fg(lipgloss.Color("3")),
		Crit:     fg(lipgloss.Color("1")).Bold(true),
		Stale:    fg(lipgloss.Color("5")).Bold(true),
		Muted:    fg(lipgloss.Color("8")),
		Focused:  fg(focus).Bold(true),
		Title:    lipgloss.NewStyle().Bold(true),
		Header:   lipgloss.NewStyle().Bold(true),
		Badge:    lipgloss.NewStyle().Bold(true).Reverse(true),
		Selected: lipgloss.NewStyle().Reverse(true),
	}
}

// Verdict picks the style that matches a verdict.
func (s Styles) Verdict(v checks.Verdict) lipgloss.Style {
	switch v {
	case checks.Pass:
		return s.OK
	case checks.Warn, checks.Pending:
		return s.Warn
	case checks.Fail:
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
