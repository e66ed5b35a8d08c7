package executor

import (
	"fmt"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// closeInterrupted finds actions an earlier process approved but never
// finished — it was killed mid-action, so the journal holds the approval
// and perhaps intents, but no final outcome — and journals that outcome
// now, under the lock, so the timeline does not show them as still running
// and the operator is told before acting again. What the interrupted action
// changed is not guessed: the observed state says.
func (x *Executor) closeInterrupted(operator string, progress func(Progress)) {
	h := runbook.ReadHistory(x.journal.Path())
	for _, r := range h.Open {
		ok := false
		msg := fmt.Sprintf("interrupted: %s was approved by %s at %s but no outcome was journaled "+
			"(the process stopped mid-action); what it changed is what the systems show now",
			r.Step, r.Operator, r.Approved.UTC().Format("2006-01-02 15:04:05Z"))
		x.record(journal.Record{Kind: journal.KindOutcome, Step: r.Step, Operator: operator, OK: &ok, Message: msg})
		progress(Progress{Step: r.Step, SubStep: "earlier run", Message: msg, Started: x.now(), At: x.now()})
	}
}
