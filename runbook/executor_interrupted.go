package runbook

import (
	"fmt"

	"github.com/openagents/cockpit/journal"
)

// closeInterrupted finds actions an earlier process approved but never
// finished — it was killed mid-action, so the journal holds the approval
// and perhaps intents, but no final outcome — and journals that outcome
// now, under the lock, so the timeline does not show them as still running
// and the operator is told before acting again. What the interrupted action
// changed is not guessed: the observed state says.
func (x *Executor) closeInterrupted(operator string, progress func(Progress)) {
	recs, err := journal.Read(x.journal.Path())
	if err != nil && len(recs) == 0 {
		return // nothing readable: the new action's records still go in
	}
	for _, r := range unfinishedApprovals(recs) {
		ok := false
		msg := fmt.Sprintf("interrupted: %s was approved by %s at %s but no outcome was journaled "+
			"(the process stopped mid-action); what it changed is what the systems show now",
			r.Step, r.Operator, r.Time.UTC().Format("2006-01-02 15:04:05Z"))
		x.record(journal.Record{Kind: journal.KindOutcome, Step: r.Step, Operator: operator, OK: &ok, Message: msg})
		progress(Progress{Step: r.Step, SubStep: "earlier run", Message: msg, Started: x.now()})
	}
}

// unfinishedApprovals are the approvals with no final outcome (an outcome
// of the same step without a sub-step name) after them.
func unfinishedApprovals(recs []journal.Record) []journal.Record {
	var open []journal.Record
	for _, r := range recs {
		switch {
		case r.Kind == journal.KindApproval:
			open = append(open, r)
		case r.Kind == journal.KindOutcome && r.Check == "":
			for i := len(open) - 1; i >= 0; i-- {
				if open[i].Step == r.Step {
					open = append(open[:i], open[i+1:]...)
					break
				}
			}
		}
	}
	return open
}
