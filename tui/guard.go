package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/journal"
)

// guardCancelReason is why a cancel from this screen is journaled: the
// key says who (the operator) and where; the guard answers in the journal.
const guardCancelReason = "cancelled from the operate screen (c)"

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

// cancelGuardCmd journals a cancel of the guard's countdown.
func (m *Model) cancelGuardCmd() tea.Cmd {
	if m.cancelGuard == nil {
		return nil
	}
	cancel := m.cancelGuard
	m.status = "asking the guard to cancel its countdown…"
	return func() tea.Msg { return guardCancelMsg{Err: cancel(guardCancelReason)} }
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
