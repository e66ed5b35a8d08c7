package tui

import (
	"strings"

	"charm.land/bubbles/v2/viewport"
	"github.com/charmbracelet/x/ansi"
)

// scrollPane is a titled box whose body scrolls (a bubbles viewport): the
// evidence view and the full timeline. Its lines are wrapped to the box
// before the viewport sees them, so nothing is cut at the column's edge.
type scrollPane struct {
	vp     viewport.Model
	width  int
	height int
}

func newScrollPane() scrollPane {
	vp := viewport.New()
	vp.KeyMap = viewport.KeyMap{} // the screen's keymap scrolls it, not the viewport's defaults (f, d, u…)
	return scrollPane{vp: vp}
}

// SetSize sets the box, title included.
func (p *scrollPane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.vp.SetWidth(w)
	p.vp.SetHeight(max(h-1, 1))
}

// SetLines replaces the body, wrapping every line to the box's width. The
// scroll position is kept (clamped), so a refresh does not jump.
func (p *scrollPane) SetLines(lines []string) {
	wrapped := make([]string, 0, len(lines))
	for _, l := range lines {
		wrapped = append(wrapped, strings.Split(ansi.Wrap(oneLine(l), max(p.width, 1), ",/"), "\n")...)
	}
	off := p.vp.YOffset()
	p.vp.SetContent(strings.Join(wrapped, "\n"))
	p.vp.SetYOffset(off)
}

// Scroll moves the body by n lines (negative: up).
func (p *scrollPane) Scroll(n int) {
	if n < 0 {
		p.vp.ScrollUp(-n)
	} else {
		p.vp.ScrollDown(n)
	}
}

// Page moves the body by a page (negative: up).
func (p *scrollPane) Page(dir int) { p.Scroll(dir * max(p.vp.Height()-1, 1)) }

// View is the title line (with where the body is scrolled to when it does
// not fit) and the visible body, exactly the box's size.
func (p *scrollPane) View(title string, st Styles) []string {
	if p.vp.TotalLineCount() > p.vp.Height() {
		title += st.Muted.Render(scrollHint(p.vp))
	}
	lines := append([]string{title}, strings.Split(p.vp.View(), "\n")...)
	return block(lines, p.width, p.height)
}

// scrollHint says where a scrolled body stands and how to move it.
func scrollHint(vp viewport.Model) string {
	switch {
	case vp.AtTop():
		return " · more below (pgdn)"
	case vp.AtBottom():
		return " · more above (pgup)"
	}
	return " · pgup/pgdn to scroll"
}
