package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Terminal sizes the layout knows: below min it refuses to draw; below wide
// the panes are stacked two by two and the list has the body to itself.
const (
	minWidth, minHeight = 80, 24
	wideWidth           = 120
	// fourPanesWidth is where the four panes fit side by side without
	// cutting their values.
	fourPanesWidth = 160
	// chromeLines are the header, the gap under the panes, incidents, status and footer.
	chromeLines = 5
)

func (m *Model) wide() bool { return m.width >= wideWidth }

func (m *Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

func (m *Model) fourPanes() bool { return m.width >= fourPanesWidth }

// panesHeight is the four panes' height: one row of them from
// fourPanesWidth, else two.
func (m *Model) panesHeight() int {
	cols := panesLayout(m.width)
	return paneHeightFor(m.width, m.height, cols) * (4 / cols)
}

func (m *Model) bodyHeight() int { return max(m.height-chromeLines-m.panesHeight(), 1) }

// overlayHeight is what a dialog or menu gets: everything but the header,
// incidents, status and footer, which stay live above and below it.
func (m *Model) overlayHeight() int { return max(m.height-chromeLines+1, 1) }

// listWidth is the runbook list's share of a wide body; the other column
// is the timeline, or the evidence when it is open.
func (m *Model) listWidth() int {
	if m.wide() {
		return max(m.width/2, 66) // a step's row with who ran it, uncut
	}
	return m.width
}

// setSize fans a new terminal size out to every part.
func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	if m.tooSmall() {
		return
	}
	m.panes.SetSize(w, m.panesHeight())
	body := m.bodyHeight()
	m.list.SetSize(m.listWidth(), body-1) // under its title line
	side := w - m.listWidth() - 2
	if !m.wide() {
		side = w
	}
	m.timeline.SetSize(side, body)
	m.evidence.SetSize(side, body)
	m.timeline.SetFullSize(w, body)
	if m.dialog != nil {
		m.dialog.SetSize(w, m.overlayHeight())
	}
	if m.faults != nil {
		m.faults.SetSize(w, m.overlayHeight())
	}
	m.help.SetWidth(w)
	if m.replay != nil {
		m.replay.SetSize(w, 1)
	}
}

// View is the whole screen on the alternate screen, as the last Update
// drew it (Model.frame). Bubble Tea writes only the cells that changed
// since the last frame, so what stays the same between rounds costs
// nothing on the wire.
func (m *Model) View() tea.View {
	v := tea.NewView(m.frame)
	v.AltScreen = true
	return v
}

// draw makes the frame, secrets masked (Options.Mask), and notes the first
// full paint.
func (m *Model) draw() {
	m.frame = m.screen()
	if m.mask != nil {
		m.frame = m.mask(m.frame)
	}
	m.notePaint()
}

// screen draws the whole screen from the model, at the frame's clock.
func (m *Model) screen() string {
	switch {
	case m.quitting:
		return ""
	case m.width == 0:
		return "starting…"
	case m.tooSmall():
		return fmt.Sprintf("terminal too small: %d×%d, need %d×%d", m.width, m.height, minWidth, minHeight)
	}
	now := m.c.at
	lines := make([]string, 0, m.height)
	lines = append(lines, header(m.c, m.state, m.width, now))
	if overlay := m.overlay(); overlay != nil {
		lines = append(lines, block(overlay, m.width, m.overlayHeight())...)
	} else {
		lines = append(lines, m.panes.View(), "") // its rows, joined
		lines = append(lines, m.bodyView(now))
	}
	lines = append(lines,
		incidentsLine(m.c, m.state, m.width),
		fit(m.statusLine(now), m.width),
		fit(m.footer(), m.width))
	return strings.Join(lines, "\n")
}

// notePaint logs, once, how long the first full frame with an observation
// took from the screen's start: the first full paint.
func (m *Model) notePaint() {
	if m.painted || m.replay != nil || m.state.At.IsZero() || m.quitting || m.width == 0 || m.tooSmall() {
		return
	}
	m.painted = true
	m.c.logger.Info(fmt.Sprintf("first full paint after %dms", m.c.at.Sub(m.started).Milliseconds()))
}

// bodyView is the list with, on a wide screen, the timeline or the evidence
// beside it; on a narrow one the evidence takes the list's place. The full
// timeline (t) takes the whole body at every width. Its rows are joined.
func (m *Model) bodyView(now time.Time) string {
	var side string
	switch {
	case m.showTimeline:
		return m.timeline.View()
	case m.showEvidence:
		side = m.evidence.View()
	case m.wide():
		side = m.timeline.View()
	}
	switch {
	case !m.wide() && side != "":
		return side
	case !m.wide():
		return m.listView(now)
	}
	return joinColumns(splitLines(m.listView(now)), splitLines(side))
}

// listView is the runbook list under its title: the phase and, when the
// state is not this process's own observation, where it came from.
func (m *Model) listView(now time.Time) string {
	st := m.c.styles
	title := st.Title.Render("RUNBOOK") + st.Muted.Render(" · ") + phase(m.c, m.state, m.action, now)
	if m.state.Source != "" {
		title += st.Muted.Render(" · " + m.state.Source)
	}
	return fit(title, m.listWidth()) + "\n" + m.list.View()
}

// overlay is the dialog or menu that has the keyboard, if any. It takes the
// panes' and body's place; header, incidents and progress stay live.
func (m *Model) overlay() []string {
	switch {
	case m.askAbandon && m.action != nil:
		return m.quitQuestion()
	case m.dialog != nil:
		return splitLines(m.dialog.View())
	case m.cancelAsk != nil:
		return m.cancelAsk.View(m.c.styles)
	case m.faults != nil && m.faults.Visible():
		return splitLines(m.faults.View())
	case m.showHelp:
		lines := helpOverlay(m.help, m.c.styles, m.offeredKeys(), m.confirm, m.actor == nil, m.width)
		if m.replay != nil {
			lines = append(append(m.replay.Notes(), splitLines(m.help.FullHelpView(m.replay.FullHelp()))...), lines...)
		}
		return lines
	}
	return nil
}

// statusLine shows the running action's live progress, else the last message.
func (m *Model) statusLine(now time.Time) string {
	st := m.c.styles
	if a := m.action; a != nil {
		step := a.id
		if a.seen {
			step = strings.Join(nonEmpty(a.last.Step, a.last.SubStep), " › ")
			if a.last.Message != "" {
				step += ": " + a.last.Message
			}
			// How long ago the executor last said something: a step that
			// went quiet (a hung actuator) shows it without the journal.
			if !a.last.At.IsZero() {
				step += fmt.Sprintf(" (%s ago)", ageText(max(now.Sub(a.last.At), 0)))
			}
		}
		line := fmt.Sprintf("▶ RUNNING %s · elapsed %s · ctrl+c abandons", step, ageText(now.Sub(a.started)))
		if a.abandoning {
			line = "ABANDONING " + step + " · waiting for the executor to record it"
		}
		return st.Focused.Render(line)
	}
	if m.replay != nil && m.status != "" {
		return m.status + st.Muted.Render(" · ") + m.replay.View()
	}
	if m.replay != nil {
		return m.replay.View()
	}
	return m.status
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// offeredKeys are the keys this screen can act on now. A read-only screen
// (watch, watch --follow) offers no action key, nor does one whose action
// is running or being planned; dispatch still hears those keys and says
// why they do nothing.
func (m *Model) offeredKeys() KeyMap {
	k := m.keys
	if m.actor == nil || m.action != nil || m.planning != "" {
		k.Run.SetEnabled(false)
		k.Rollback.SetEnabled(false)
		k.WriteProbe.SetEnabled(false)
	}
	return k
}

// footer is the keys line. "? help" and "q quit" are always on it: when
// the line is too wide, the keys the help overlay lists anyway go first.
func (m *Model) footer() string {
	k := m.offeredKeys()
	prefix := ""
	if m.actor == nil {
		prefix = m.c.styles.Muted.Render("read-only · ")
	}
	h := m.help
	h.SetWidth(0) // measured here, never cut with an ellipsis
	bindings := k.ShortHelp()
	if m.replay != nil {
		bindings = append(m.replay.ShortHelp(), bindings...)
	}
	for _, drop := range []key.Binding{k.Faults, k.WriteProbe, k.Timeline, k.Evidence, k.Run, k.Rollback} {
		if ansi.StringWidth(prefix+h.ShortHelpView(bindings)) <= m.width {
			break
		}
		bindings = slices.DeleteFunc(bindings, func(b key.Binding) bool { return slices.Equal(b.Keys(), drop.Keys()) })
	}
	return prefix + h.ShortHelpView(bindings)
}
