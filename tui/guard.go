package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/journal"
)

// guardCancelMsg is the end of a cancel the key c journaled.
type guardCancelMsg struct{ Err error }

// noteGuard keeps the newest guard state among records read from this
// machine's journal and the trusted records other machines published (a
// guard's cancel requests and answers are no state; a stopped guard
// clears the banner). A journal read again from its start forgets.
func (c *common) noteGuard(msg journalReadMsg) {
	if msg.Restart {
		c.guard = journal.Record{}
	}
	for _, r := range append(slices.Clone(msg.Records), msg.Theirs...) {
		if r.Kind != journal.KindGuard || !r.Trusted() || r.Time.Before(c.guard.Time) {
			continue
		}
		if _, ok := guardPhase(r.Verdict); ok || r.Verdict == "stopped" {
			c.guard = r
		}
	}
}

// guardPhase reads a journaled verdict as the guard's phase.
func guardPhase(verdict string) (guard.Phase, bool) {
	for _, p := range guard.Phases() {
		if p.String() == verdict {
			return p, true
		}
	}
	return guard.Idle, false
}

// guardBanner is the header's part for the guard: its line, a countdown
// counted to the second from when it was journaled, "" when the guard is
// idle, stopped or absent.
func guardBanner(c *common, now time.Time) (headerPart, bool) {
	p, ok := guardPhase(c.guard.Verdict)
	if !ok || p == guard.Idle {
		return headerPart{}, false
	}
	st := c.styles
	line := c.hide(c.guard.Message)
	short := "guard " + p.String()
	paint := st.Warn
	if p == guard.Countdown || p == guard.Acting {
		paint = st.Crit
	}
	if p == guard.Countdown {
		left := max(c.guardCountdown-now.Sub(c.guard.Time), 0)
		s := int((left + time.Second - 1) / time.Second)
		head, _, _ := strings.Cut(line, ": rollback in")
		line = fmt.Sprintf("%s: rollback in %d:%02d — press c to cancel", head, s/60, s%60)
		short = fmt.Sprintf("rollback in %d:%02d (c cancels)", s/60, s%60)
	}
	return headerPart{long: paint.Render(line), short: paint.Render(short)}, true
}

// cancelPrompt asks, on c, why the guard's countdown must not end in a
// rollback: the cancel is journaled with who (the operator) and that
// reason, typed into the confirm dialog's field. Enter with a reason
// journals it; Esc leaves the countdown running and journals nothing.
type cancelPrompt struct {
	reason  field
	problem string // why the last Enter journaled nothing
}

func newCancelPrompt() *cancelPrompt {
	return &cancelPrompt{reason: field{hint: "why the rollback must not run", limit: 200, focused: true}}
}

// askCancelReason opens the cancel prompt, on a screen that can cancel.
func (m *Model) askCancelReason() {
	if m.cancelGuard != nil {
		m.cancelAsk = newCancelPrompt()
		m.status = ""
	}
}

// answerCancelPrompt takes one key of the open cancel prompt.
func (m *Model) answerCancelPrompt(msg tea.KeyPressMsg) tea.Cmd {
	p := m.cancelAsk
	p.problem = ""
	switch {
	case key.Matches(msg, m.confirm.Cancel):
		m.cancelAsk = nil
		m.status = "not cancelled: the guard's countdown runs on (nothing journaled)"
	case msg.Code == tea.KeyEnter:
		reason := strings.TrimSpace(p.reason.Value())
		if reason == "" {
			p.problem = "no reason typed: a cancel is journaled with who and why; type why the rollback must not run, or esc to keep the countdown"
			return nil
		}
		m.cancelAsk = nil
		return m.cancelGuardCmd(reason)
	default:
		p.reason.Update(msg)
	}
	return nil
}

// View is the prompt: what Enter does, the reason field, the problem with
// the last Enter and the keys. The header above it counts down on.
func (p *cancelPrompt) View(st Styles) []string {
	lines := []string{st.Title.Render("CANCEL the guard's countdown"),
		"the rollback it counts down to will not run for this incident; the guard answers in the timeline",
		st.Warn.Render("reason (journaled with your name):") + " " + p.reason.View(st)}
	if p.problem != "" {
		lines = append(lines, st.Crit.Render(p.problem))
	}
	return append(lines, st.Focused.Render("enter cancel the countdown · esc keep it running (nothing journaled)"))
}

// cancelGuardCmd journals a cancel of the guard's countdown, with reason.
func (m *Model) cancelGuardCmd(reason string) tea.Cmd {
	cancel := m.cancelGuard
	m.status = "asking the guard to cancel its countdown…"
	return func() tea.Msg { return guardCancelMsg{Err: cancel(reason)} }
}

// handleGuardCancel says how the cancel went; the guard's answer shows in
// the header and the timeline when it journals it.
func (m *Model) handleGuardCancel(msg guardCancelMsg) {
	if msg.Err != nil {
		m.status = "the guard's countdown was not cancelled: " + msg.Err.Error()
		return
	}
	m.status = "cancel journaled: the guard answers in the timeline"
}
