package tui

import (
	"fmt"
	"strings"

	"github.com/openagents/cockpit/runbook"
)

// writersOf finds the exactly-one-writer check in a state.
func writersOf(s runbook.State) (runbook.IncidentStatus, bool) {
	for _, in := range s.Incidents {
		if in.ID == runbook.WritersID {
			return in, true
		}
	}
	return runbook.IncidentStatus{}, false
}

// writersWord says how many runtimes accept writes: "1 writer", "2 writers",
// "no writer"; its value is that count.
func writersWord(in runbook.IncidentStatus) string {
	switch {
	case !in.HasValue:
		return "writers unknown"
	case in.Value == 0:
		return "no writer"
	case in.Value == 1:
		return "1 writer"
	}
	return fmt.Sprintf("%.0f writers", in.Value)
}

// writersLabel names the check's value on the screen: the cohort during
// production's cohort phase ("cohort 25%: rust 25 / legacy 75, sticky"),
// else the writer count.
func writersLabel(s runbook.State, in runbook.IncidentStatus) string {
	if cohort, ok := s.Cohort(); ok && in.HasValue && in.Value == 2 {
		return cohort.Label()
	}
	return writersWord(in)
}

// writersMarker is the header's view of the check. A firing or pending one
// is loud and goes up front, where 80 columns keep it; an OK or unknown one
// is quiet and goes last. During production's cohort phase it is the
// cohort ("cohort 25%: rust 25 / legacy 75, sticky"), not a writer count.
func writersMarker(c *common, s runbook.State, in runbook.IncidentStatus) (text string, loud bool) {
	st := c.styles
	word := writersLabel(s, in)
	switch in.State {
	case runbook.IncidentFiring:
		if word != writersWord(in) {
			return st.Crit.Render(word), true // the cohort label says NOT sticky
		}
		return st.Crit.Render(strings.ToUpper(word)), true
	case runbook.IncidentPending:
		return st.Warn.Render(word + " " + pendingFor(in)), true
	case runbook.IncidentOK:
		if _, ok := s.Cohort(); ok {
			return st.OK.Render(word), false
		}
		if in.Value != 1 {
			// Two writers, or none, while a step moves the authority.
			return st.Warn.Render(word + " (step running)"), false
		}
		return st.Muted.Render(word), false
	}
	return st.Stale.Render(word), false
}

// writersAdvice is what to do when the check fires, short enough for the
// incidents line at 80 columns; the runbook's full words are in its
// evidence. Watch has no rollback key, so it names the command that has one.
func writersAdvice(c *common, in runbook.IncidentStatus) string {
	operate := c.mode.acts()
	switch {
	case in.HasValue && in.Value == 0 && operate:
		return "writes refused: finish the rollback (r) or the step"
	case in.HasValue && in.Value == 0:
		return "finish the rollback or the step (cockpit operate)"
	case operate:
		return "finish the step or roll back: r"
	}
	return "finish the step or roll back (cockpit operate)"
}
