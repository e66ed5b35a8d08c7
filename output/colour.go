package output

import (
	"charm.land/lipgloss/v2"

	"github.com/openagents/cockpit/checks"
)

// Tone is what a verdict means to the eye. It is the one verdict→colour
// map: the screen's styles and the scripted output's words both take
// their colour from it.
type Tone int

// The tones, each also said in words (the verdict) so that no colour
// loses anything.
const (
	ToneOK    Tone = iota // PASS: green
	ToneWarn              // WARN, PENDING: yellow
	ToneCrit              // FAIL: bold red
	ToneStale             // UNKNOWN, not judged, stale: bold magenta, never green
)

// ToneOf is the tone of a verdict.
func ToneOf(v checks.Verdict) Tone {
	switch v {
	case checks.Pass:
		return ToneOK
	case checks.Warn, checks.Pending:
		return ToneWarn
	case checks.Fail:
		return ToneCrit
	default:
		return ToneStale
	}
}

// Style is the tone's lipgloss style: the basic ANSI sixteen, so that a
// 16-colour terminal shows the same meaning.
func (t Tone) Style() lipgloss.Style {
	fg := lipgloss.NewStyle().Foreground
	switch t {
	case ToneOK:
		return fg(lipgloss.Color("2"))
	case ToneWarn:
		return fg(lipgloss.Color("3"))
	case ToneCrit:
		return fg(lipgloss.Color("1")).Bold(true)
	default:
		return fg(lipgloss.Color("5")).Bold(true)
	}
}

// Painter colours verdict words for one output stream, or leaves them
// plain: a pipe or a file (not a terminal), NO_COLOR set to anything
// (no-color.org), or TERM=dumb get no escape sequence at all.
type Painter struct{ colour bool }

// NewPainter is the painter for a stream; tty says it is a terminal and
// getenv reads the environment (os.Getenv).
func NewPainter(tty bool, getenv func(string) string) Painter {
	return Painter{colour: tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"}
}

// Verdict is text in the colour of v.
func (p Painter) Verdict(v checks.Verdict, text string) string {
	if !p.colour {
		return text
	}
	return ToneOf(v).Style().Render(text)
}
