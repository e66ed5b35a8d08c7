package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
)

// Terminal sizes the layout knows: below min it refuses to draw; below wide
// the panes are stacked two by two and the timeline shares the list's place.
const (
	minWidth, minHeight = 80, 24
	wideWidth           = 120
	// chromeLines are the header, the gap under the panes, incidents, status and footer.
	chromeLines = 5
)

func (m *Model) wide() bool { return m.width >= wideWidth }

func (m *Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

func (m *Model) panesHeight() int {
	if m.wide() {
		return paneHeight
	}
	return 2 * paneHeight
}

func (m *Model) bodyHeight() int { return max(m.height-chromeLines-m.panesHeight(), 1) }

// setSize fans a new terminal size out to every pane.
func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	if m.tooSmall() {
		return
	}
	if m.wide() {
		m.panes.SetSize((w-3*2)/4, paneHeight)
		listW := w / 2
		m.list.SetSize(listW, m.bodyHeight())
		m.timeline.SetSize(w-listW-2, m.bodyHeight())
	} else {
		m.panes.SetSize((w-2)/2, paneHeight)
		m.list.SetSize(w, m.bodyHeight())
		m.timeline.SetSize(w, m.bodyHeight())
	}
	m.help.Width = w
}

// View draws the whole screen from the model; it reads the clock once.
func (m *Model) View() string {
	switch {
	case m.quitting:
		return ""
	case m.width == 0:
		return "starting…"
	case m.tooSmall():
		return fmt.Sprintf("terminal too small: %d×%d, need %d×%d", m.width, m.height, minWidth, minHeight)
	}
	now := m.c.now()
	lines := make([]string, 0, m.height)
	lines = append(lines, header(m.c, m.state, m.width, now))
	if overlay := m.overlay(now); overlay != nil {
		lines = append(lines, block(overlay, m.width, m.panesHeight()+1+m.bodyHeight())...)
	} else {
		lines = append(lines, m.panesView(now)...)
		lines = append(lines, "")
		lines = append(lines, m.bodyView(now)...)
	}
	lines = append(lines,
		incidentsLine(m.c, m.state, m.width),
		fit(m.statusLine(now), m.width),
		fit(m.footer(), m.width))
	m.notePaint(now)
	return strings.Join(lines, "\n")
}

// notePaint logs, once, how long the first frame with an observation took
// from the screen's start: the first full paint.
func (m *Model) notePaint(now time.Time) {
	if m.painted || m.state.At.IsZero() {
		return
	}
	m.painted = true
	m.c.logger.Info(fmt.Sprintf("first full paint after %dms", now.Sub(m.started).Milliseconds()))
}

func (m *Model) panesView(now time.Time) []string {
	p := m.panes.views(now)
	if m.wide() {
		return joinColumns("  ", p[0], p[1], p[2], p[3])
	}
	return append(joinColumns("  ", p[0], p[1]), joinColumns("  ", p[2], p[3])...)
}

func (m *Model) bodyView(now time.Time) []string {
	switch {
	case m.wide():
		return joinColumns("  ", m.list.View(now), m.timeline.View())
	case m.showTimeline:
		return m.timeline.View()
	default:
		return m.list.View(now)
	}
}

// overlay is the dialog or menu that has the keyboard, if any. It takes the
// panes' and body's place; header, incidents and progress stay live.
func (m *Model) overlay(now time.Time) []string {
	switch {
	case m.askAbandon && m.action != nil:
		st := m.c.styles
		return []string{
			st.Crit.Render(fmt.Sprintf("abandon %s while it runs?", m.action.id)),
			"the executor's context is cancelled and it records the action as abandoned.",
			"",
			st.Muted.Render("y abandon and quit · n keep running"),
		}
	case m.dialog != nil:
		return m.dialog.View(m.width, now)
	case m.faultsVisible:
		return m.faults.View(m.width)
	case m.showHelp:
		return helpOverlay(m.help, m.c.styles, m.keys, m.confirm, m.width)
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
				step += fmt.Sprintf(" (%s ago)", checks.FormatAge(max(now.Sub(a.last.At), 0)))
			}
		}
		line := fmt.Sprintf("▶ RUNNING %s · elapsed %s · ctrl+c abandons", step, checks.FormatAge(now.Sub(a.started)))
		if a.abandoning {
			line = "ABANDONING " + step + " · waiting for the executor to record it"
		}
		return st.Focused.Render(line)
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

func (m *Model) footer() string {
	f := m.help.ShortHelpView(m.keys.ShortHelp())
	if m.actor == nil {
		return m.c.styles.Muted.Render("read-only · ") + f
	}
	return f
}
