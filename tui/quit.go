package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/runbook"
)

// quitQuestion asks before quitting during an action, saying what quitting
// does to it and what the system is left with, as the last observation
// shows it: "S1 is mid-way (route_writes=rust): legacy not yet frozen:
// both runtimes accept writes". The process then exits non-zero and says
// it again (cmd/cockpit's inflight), so the answer is never a silent 0.
func (m *Model) quitQuestion() []string {
	st := m.c.styles
	id := m.action.id
	if id == runbook.RollbackID {
		return wrapLines([]string{
			st.Crit.Render("quit while the rollback runs?"),
			"the rollback runs to its end without the screen (a second signal aborts it);",
			"its progress goes to the journal and the log, and the exit code says how it ended.",
			"",
			st.Muted.Render("y quit (the rollback goes on) · n keep watching"),
		}, m.width)
	}
	mid := id + " is mid-way"
	if m.action.seen && m.action.last.SubStep != "" {
		mid += " (" + oneLine(m.action.last.SubStep) + ")"
	}
	lines := []string{st.Crit.Render(fmt.Sprintf("quit while %s runs?", id))}
	if it := runbook.FindItem(runbook.RunbookItems(), id); it == nil || it.Writes {
		lines = append(lines,
			st.Warn.Render(mid+": "+m.state.WritersNow()),
			fmt.Sprintf("quitting stops %s at its next safe point and undoes nothing it changed;", id),
			"the cockpit exits non-zero saying what it left: roll back, or run "+id+" again, from a new screen.")
	} else {
		lines = append(lines, fmt.Sprintf("%s only reads: quitting stops it and changes nothing.", id))
	}
	lines = append(lines, "", st.Muted.Render(fmt.Sprintf("y stop %s and quit · n keep running", id)))
	return wrapLines(lines, m.width)
}

// wrapLines wraps each line to width, so what a question says is read
// whole at 80 columns.
func wrapLines(lines []string, width int) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(ansi.Wrap(l, max(width, 20), ""), "\n")...)
	}
	return out
}
