package tui

import (
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// Paint draws a one-line text exactly as its lipgloss style does, in both
// palettes, and the pinned plain profile writes no escape at all.
func TestPaintRendersAsItsLipglossStyle(t *testing.T) {
	const text = "✔ PASS 0.3% · rust_active"
	for _, dark := range []bool{true, false} {
		st := NewStyles(colorprofile.TrueColor, dark)
		for name, p := range map[string]Paint{"OK": st.OK, "Warn": st.Warn, "Crit": st.Crit, "Stale": st.Stale,
			"Muted": st.Muted, "Focused": st.Focused, "Title": st.Title, "Badge": st.Badge, "Selected": st.Selected} {
			if got, want := p.Render(text), p.Style.Render(text); got != want || got == text {
				t.Errorf("dark=%t %s: Paint %q, lipgloss %q", dark, name, got, want)
			}
		}
	}
	if got := NewStyles(colorprofile.NoTTY, true).Crit.Render(text); got != text {
		t.Errorf("the plain profile styles %q as %q", text, got)
	}
}
