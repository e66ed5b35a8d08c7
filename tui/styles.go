package tui

import (
	"github.com/charmbracelet/lipgloss"

	"github.com/openagents/cockpit/checks"
)

// Styles are the screen's semantic styles, defined once. Panes never write a
// colour literal: they ask for OK, Warn or Crit. Colours are the basic ANSI
// sixteen so a 16-colour terminal shows the same meaning, and every state
// also has a word or symbol so NO_COLOR loses nothing.
type Styles struct {
	OK, Warn, Crit, Stale, Muted, Focused lipgloss.Style
	Title, Header, Badge, Selected        lipgloss.Style
	Pane, Dialog                          lipgloss.Style
}

// NewStyles binds the styles to a renderer, whose colour profile (from the
// output, NO_COLOR, or a test's ASCII pin) decides what reaches the terminal.
func NewStyles(r *lipgloss.Renderer) Styles {
	s := r.NewStyle()
	return Styles{
		OK:       s.Foreground(lipgloss.Color("2")),
		Warn:     s.Foreground(lipgloss.Color("3")),
		Crit:     s.Foreground(lipgloss.Color("1")).Bold(true),
		Stale:    s.Foreground(lipgloss.Color("5")).Bold(true),
		Muted:    s.Foreground(lipgloss.Color("8")),
		Focused:  s.Foreground(lipgloss.Color("6")).Bold(true),
		Title:    s.Bold(true),
		Header:   s.Bold(true),
		Badge:    s.Bold(true).Reverse(true),
		Selected: s.Reverse(true),
		Pane:     s.Border(lipgloss.NormalBorder(), true, false, false, false).BorderForeground(lipgloss.Color("8")),
		Dialog:   s.Border(lipgloss.RoundedBorder()).Padding(0, 1),
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
