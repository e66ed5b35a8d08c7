package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/runbook"
)

// readOnlyMessage is all an action key does in watch mode.
const readOnlyMessage = "read-only: use cockpit operate to act"

// handleKey routes a key to whatever has the keyboard: the abandon question,
// the confirm dialog, the guard's cancel prompt, the fault menu, the help
// overlay, then the screen.
// Bubble Tea v2 delivers letters that arrived in one read ("jjjj") one key
// at a time, and pasted text as one tea.PasteMsg (paste).
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.askAbandon:
		return m.answerAbandon(msg)
	case m.dialog != nil:
		return m.updateDialog(msg)
	case m.cancelAsk != nil:
		return m.answerCancelPrompt(msg)
	case m.faults != nil && m.faults.Visible():
		_, cmd := m.faults.Update(msg)
		return cmd
	case m.showHelp:
		m.showHelp = false
		return nil
	case m.replay != nil && m.replay.Takes(msg):
		m.status = ""
		_, cmd := m.replay.Update(msg)
		return cmd
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.ForceQuitOrNo), key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Refresh):
		if cmd := m.obs.start(); cmd != nil {
			return cmd
		}
		m.status = "an observation is already in flight"
	case key.Matches(msg, k.Run) && !m.showTimeline:
		if it := m.list.Selected(); it != nil {
			return m.requestAction(it.ID)
		}
	case key.Matches(msg, k.Rollback):
		return m.requestAction(runbook.RollbackID)
	case key.Matches(msg, k.WriteProbe):
		return m.requestAction(runbook.WriteProbeID)
	case key.Matches(msg, k.CancelGuard):
		m.askCancelReason()
	case key.Matches(msg, k.Faults):
		if m.faults != nil {
			m.faults.Show()
		}
	case key.Matches(msg, k.Timeline):
		m.showTimeline, m.showEvidence = !m.showTimeline, false
		m.timeline.Expand(m.showTimeline)
	case key.Matches(msg, k.Evidence):
		m.showEvidence, m.showTimeline = !m.showEvidence, false
		m.timeline.Expand(false)
	case m.showTimeline:
		_, cmd := m.timeline.Update(msg)
		return cmd
	case m.showEvidence && (key.Matches(msg, k.Sources) || key.Matches(msg, k.PageUp) || key.Matches(msg, k.PageDown)):
		_, cmd := m.evidence.Update(msg)
		return cmd
	default:
		_, cmd := m.list.Update(msg)
		return cmd
	}
	return nil
}

// paste hands pasted text to the confirm dialog's field or the cancel
// prompt's, the places that take text; elsewhere a paste is not a string
// of key presses.
func (m *Model) paste(msg tea.PasteMsg) {
	switch {
	case m.askAbandon:
	case m.dialog != nil:
		m.dialog.Update(msg)
	case m.cancelAsk != nil:
		m.cancelAsk.problem = ""
		m.cancelAsk.reason.insert(msg.Content)
	}
}

// requestAction asks the executor for a plan, unless this process may not
// act or another action is already under way.
func (m *Model) requestAction(id string) tea.Cmd {
	switch {
	case m.actor == nil:
		// Naming the refused action shows each key press was heard.
		m.status = fmt.Sprintf("%s (%s not run)", readOnlyMessage, id)
		return nil
	case m.action != nil:
		m.status = fmt.Sprintf("%s is running: wait for it to finish before starting %s", m.action.id, id)
		return nil
	case m.planning != "":
		m.status = fmt.Sprintf("%s is being planned: wait for its confirm dialog", m.planning)
		return nil
	}
	m.planning = id
	m.status = "planning " + id + "…"
	return planCmd(m.base, m.actor, id, m.obs.timeout)
}

func (m *Model) handlePlan(msg planMsg) tea.Cmd {
	m.planning = ""
	if msg.Err != nil {
		m.status = fmt.Sprintf("cannot plan %s: %v", msg.ID, msg.Err)
		m.c.logger.Warn("plan failed", "action", msg.ID, "err", msg.Err)
		return nil
	}
	if m.action != nil {
		m.status = fmt.Sprintf("%s is running: %s not started", m.action.id, msg.ID)
		return nil
	}
	m.status = ""
	m.dialog = newConfirmDialog(m.c, m.confirm, msg.ID, msg.Plan)
	m.dialog.SetSize(m.width, m.overlayHeight())
	return m.dialog.Init()
}

func (m *Model) updateDialog(msg tea.KeyPressMsg) tea.Cmd {
	d, _ := m.dialog.Update(msg)
	switch d.Answer() {
	case confirmCancelled:
		m.status = "cancelled: " + d.ID() + " not run"
		m.dialog = nil
		return nil
	case confirmApproved:
		m.dialog = nil
		ra, run := startAction(m.base, m.actor, d.Plan(), d.approval(m.operator), d.ID(), m.c.at)
		m.action = ra
		m.status = ""
		return run
	}
	return nil
}

func (m *Model) handleProgress(msg progressMsg) tea.Cmd {
	if m.action == nil {
		return nil
	}
	m.action.last, m.action.seen = msg.Progress, true
	return waitProgress(m.action.progress)
}

func (m *Model) handleOutcome(msg outcomeMsg) tea.Cmd {
	if m.action == nil {
		return nil
	}
	id, abandoning := m.action.id, m.action.abandoning
	m.action = nil
	switch {
	case msg.Err != nil:
		m.status = fmt.Sprintf("%s failed: %v", id, msg.Err)
		m.c.logger.Warn("action failed", "action", id, "err", msg.Err)
	case !msg.Outcome.OK:
		m.status = outcomeLine(id, "failed", msg.Outcome.Message)
	default:
		m.status = outcomeLine(id, "done", msg.Outcome.Message)
	}
	if abandoning {
		m.quitting = true
		return tea.Quit
	}
	return m.obs.start()
}

// quit leaves at once when nothing runs; during an action it asks first,
// because leaving abandons the action.
func (m *Model) quit() tea.Cmd {
	if m.action == nil {
		m.quitting = true
		return tea.Quit
	}
	m.askAbandon = true
	return nil
}

// answerAbandon cancels the executor's context on "y"; the executor journals
// the abandoned outcome, and the program quits when that outcome arrives.
func (m *Model) answerAbandon(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.menu.Yes):
		m.askAbandon = false
		if m.action == nil {
			m.quitting = true
			return tea.Quit
		}
		m.action.abandoning = true
		m.action.cancel()
		m.status = "abandoning " + m.action.id + ": waiting for the executor to record it…"
		return tea.Tick(abandonGrace, func(_ time.Time) tea.Msg { return forceQuitMsg{} })
	case key.Matches(msg, m.menu.No):
		m.askAbandon = false
	}
	return nil
}

// outcomeLine is "S1 done: 3 sub-steps verified". The executor's message may
// already start with "S1 done:"; it is not said twice.
func outcomeLine(id, result, message string) string {
	prefix := id + " " + result + ":"
	return prefix + " " + strings.TrimSpace(strings.TrimPrefix(message, prefix))
}
