package executor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// lateChangeWatch caps how long a rollback that took the lock over from a
// forward step keeps watching after R4 (verify_timeout caps it too): an
// actuator that step started may land its change after the step stopped,
// as a deploy lands after its CLI was killed.
const lateChangeWatch = time.Minute

// maxReapply bounds how often one late change is answered by re-applying
// R-steps: a forward step still acting after that is a fight the operator
// must see, not one the rollback loops on.
const maxReapply = 2

// finalSubStep names the final observation in progress and the journal.
const finalSubStep = "final observation"

// settle is the rollback's last word, after R4. Fresh observations must
// show every R-step's target — Rust frozen, legacy accepting, writes →
// legacy: exactly one writer — and the final observation decides each
// R-step's result, whatever its own observation said. An R-step that was
// in place and no longer is was undone by a late change, and one whose
// target has been unreadable for unreadGrace may have been (writes routed
// to a frozen Rust leave no write share to read): it is re-applied (at most
// maxReapply rounds), and the journal and the screen say so.
// After a takeover the watch lasts min(verify_timeout, lateChangeWatch); a
// target that cannot be observed is waited for up to verify_timeout.
func (x *Executor) settle(ctx context.Context, obs *serialWorld, operator string, acted []*rStep, tookOver []lock.Holder, progress func(Progress)) string {
	start := x.opts.Now()
	report := func(msg string) {
		progress(Progress{Step: runbook.RollbackID, SubStep: finalSubStep, Message: msg, Started: start, At: x.opts.Now()})
	}
	verifyTimeout := x.world.Env().VerifyTimeout.D()
	watch := time.Duration(0)
	if len(tookOver) > 0 {
		watch = min(verifyTimeout, lateChangeWatch)
		x.note(operator, report, fmt.Sprintf("took the lock over from %d forward step(s): watching %s for a change their actuators may still land", len(tookOver), watch))
	}
	journaled := make(map[*rStep]bool, len(acted)) // each R-step's result as its journaled outcome says
	for _, r := range acted {
		journaled[r] = r.ok
	}
	var reapplied []string
	unread := map[*rStep]time.Time{} // since when an OK R-step's target cannot be read
	for rounds := 0; ; {
		late, unknown := x.judgeFinal(obs.Observe(runbook.WithFreshProbes(ctx)), acted)
		redo := append(late, unreadFor(unknown, unread, x.opts.Now(), min(unreadGrace, verifyTimeout/4))...)
		if len(redo) > 0 && rounds < maxReapply {
			rounds++
			for _, r := range redo {
				why := "a late change undid " + r.id
				if _, ok := unread[r]; ok {
					why = r.id + "'s target has stayed unreadable (a late change can hide it: writes routed to a frozen runtime show no write share)"
				}
				x.note(operator, report, fmt.Sprintf("%s (%s): re-applying it", why, firstLine(r.msg)))
				x.reapply(ctx, obs, operator, r, progress)
				delete(unread, r)
				journaled[r] = r.ok
				reapplied = append(reapplied, r.id)
			}
			continue
		}
		for _, r := range late {
			r.ok, r.msg = false, fmt.Sprintf("undone again after %d re-applications: %s", maxReapply, r.msg)
		}
		elapsed := x.opts.Now().Sub(start)
		if len(late) > 0 || (len(unknown) == 0 && elapsed >= watch) {
			break
		}
		if elapsed >= verifyTimeout || sleep(ctx, x.opts.PollInterval) != nil {
			for _, r := range unknown {
				r.ok, r.msg = false, "the final observation could not tell: "+r.msg
			}
			break
		}
	}
	for _, r := range acted {
		if r.ok != journaled[r] { // the final observation decided otherwise: the journal says so
			x.recordOutcome(runbook.RollbackID, r.s.name, operator, r.ok, finalSubStep+": "+r.msg)
		}
	}
	return x.finalLine(operator, report, acted, reapplied)
}

// unreadGrace is how long an R-step that was OK may read unknown in the
// final observation before it is re-applied (a quarter of verify_timeout
// when that is shorter): long enough for a scrape that came late.
const unreadGrace = 5 * time.Second

// unreadFor keeps since when each unknown R-step has been unreadable and
// returns those unreadable for grace.
func unreadFor(unknown []*rStep, since map[*rStep]time.Time, now time.Time, grace time.Duration) []*rStep {
	still := make(map[*rStep]bool, len(unknown))
	var out []*rStep
	for _, r := range unknown {
		still[r] = true
		if _, ok := since[r]; !ok {
			since[r] = now
		}
		if now.Sub(since[r]) >= grace {
			out = append(out, r)
		}
	}
	for r := range since {
		if !still[r] {
			delete(since, r)
		}
	}
	return out
}

// judgeFinal reads each R-step's target in one observation: a target shown
// makes the R-step OK (even one whose own observation gave up); a target
// no longer shown by an R-step that was OK is a late change; one that
// was OK and cannot be read now is unknown (waited for). An R-step that
// failed stays failed unless its target shows. msg is updated with the
// evidence.
func (x *Executor) judgeFinal(st runbook.State, acted []*rStep) (late, unknown []*rStep) {
	for _, r := range acted {
		if r.s.verify == nil {
			continue
		}
		v, ev := r.s.verify(st, time.Time{})
		switch {
		case v == checks.Pass:
			if !r.ok {
				r.msg = "in place at the final observation: " + ev + "\n" + r.msg
			}
			r.ok = true
		case v == checks.Unknown && r.ok:
			unknown = append(unknown, r)
			r.msg = ev
		case r.ok:
			late = append(late, r)
			r.msg = ev
		}
	}
	return late, unknown
}

// reapply runs an R-step again, to its verification.
func (x *Executor) reapply(ctx context.Context, obs *serialWorld, operator string, r *rStep, progress func(Progress)) {
	started := x.opts.Now()
	report := func(msg string) {
		progress(Progress{Step: runbook.RollbackID, SubStep: r.s.name, Message: msg, Started: started, At: x.opts.Now()})
	}
	ok, msg, callFailed := x.callStep(ctx, runbook.RollbackID, operator, r.s, report)
	r.ok, r.msg = x.observeStep(ctx, obs.Observe, runbook.RollbackID, operator, r.s, started, stepCall{ok, msg, callFailed}, report)
	r.msg = "re-applied after a late change: " + r.msg
}

// finalLine is the final observation's verdict for the outcome.
func (x *Executor) finalLine(operator string, report func(string), acted []*rStep, reapplied []string) string {
	var bad []string
	for _, r := range acted {
		if !r.ok {
			bad = append(bad, r.id)
		}
	}
	line := "final observation: exactly one writer (Rust frozen, legacy accepting, writes → legacy)"
	if len(bad) > 0 {
		line = "final observation: NOT rolled back: " + strings.Join(bad, ", ") + " not in place"
	}
	if len(reapplied) > 0 {
		line += "; re-applied " + strings.Join(reapplied, ", ") + " after a late change"
	}
	x.note(operator, report, line)
	return line
}

// note journals and shows one line of the final observation.
func (x *Executor) note(operator string, report func(string), msg string) {
	x.record(journal.Record{Kind: journal.KindProgress, Step: runbook.RollbackID, Check: finalSubStep, Operator: operator, Message: msg})
	report(msg)
}
