package tui

import (
	"fmt"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

// phase says in words where the cutover stands: "before the cutover",
// "S2 running 1m12s", "S1 done at 14:03 · verified", "ROLLED BACK at
// 04:12". Progress comes from the journal (and this screen's own action);
// "verified" needs every verification item to pass on observed data. A
// rollback's word (ROLLED BACK, ROLLBACK FAILED) stands until the next
// rollback or until a forward step finishes OK after it.
func phase(c *common, s runbook.State, a *runningAction, now time.Time) string {
	st := c.styles
	at := func(t time.Time) string { return t.In(now.Location()).Format("15:04") }
	if a != nil {
		return st.Warn.Render(fmt.Sprintf("%s running %s", a.id, ageText(now.Sub(a.started))))
	}
	if s.At.IsZero() {
		return st.Stale.Render("waiting for the first observation")
	}
	var lastStep *runbook.ItemStatus
	verified := true
	for i, it := range s.Items {
		p := it.Progress
		switch {
		case p.State.Underway():
			// Maybe on another machine: who, since when, and the sub-step
			// it last started, from the (shared) journal.
			id, _, _ := journaledAction(s)
			line := fmt.Sprintf("%s running since %s%s", id, at(p.At), by(p.Operator))
			if p.Detail != "" {
				line += " · " + oneLine(p.Detail)
			}
			return st.Warn.Render(line)
		case it.Item.Kind == runbook.Step && p.State == runbook.Done && (lastStep == nil || p.At.After(lastStep.Progress.At)):
			// The newest step done, whatever its number: S1 again after
			// a rollback is newer than the S2 before it.
			lastStep = &s.Items[i]
		case it.Item.Kind == runbook.Verification:
			verified = verified && it.Awaits == "" && it.NotApplicable == "" && it.Verdict == checks.Pass
		}
	}
	if rb, ok := s.History.Last[runbook.RollbackID]; ok && (lastStep == nil || rb.At.After(lastStep.Progress.At)) {
		if rb.OK {
			return st.Warn.Render("ROLLED BACK at " + at(rb.At))
		}
		return st.Crit.Render("ROLLBACK FAILED at " + at(rb.At) + ": see R1–R4")
	}
	if lastStep == nil {
		return st.Muted.Render("before the cutover")
	}
	done := fmt.Sprintf("%s done at %s", lastStep.Item.ID, at(lastStep.Progress.At))
	if verified {
		return st.OK.Render(done + " · verified")
	}
	return done + st.Muted.Render(" · verifying (V1–V4)")
}

func by(operator string) string {
	if operator == "" {
		return ""
	}
	return " by " + operator
}
