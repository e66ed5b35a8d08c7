package runbook

import (
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// Queued is an R-item of a running rollback that has not started yet: the
// rollback acts R1, R2 and R3 in order and R4 after them.
const Queued ProgressState = "queued"

// Underway reports whether the action the state belongs to is running: a
// queued R-item's rollback is, though that R-step has not started.
func (p ProgressState) Underway() bool { return p == Running || p == Queued }

// Word is a progress state as the screen's verdict column and the
// journal's verdict changes say it.
func (p ProgressState) Word() string {
	switch p {
	case Interrupted:
		return "STOPPED"
	case "":
		return strings.ToUpper(string(NotRun))
	}
	return strings.ToUpper(string(p))
}

// rSteps are the rollback's items in the order it acts them.
var rSteps = [...]string{"R1", "R2", "R3", "R4"}

// isRStep reports whether id names one of R1–R4.
func isRStep(id string) bool { return rStepIndex(id) >= 0 }

func rStepIndex(id string) int {
	for i, r := range rSteps {
		if r == id {
			return i
		}
	}
	return -1
}

// rollbackItemProgress is one R-item's own progress in the newest rollback
// (rb is the rollback's as a whole): R3 failing leaves R1 and R2 done, and
// while R1 runs R2–R4 are queued. A rollback older than the newest forward
// step done is history: its R-items read not run again (its record stays
// in the journal and the timeline).
func rollbackItemProgress(id string, rb StepProgress, h History) StepProgress {
	if rb.State == NotRun || rollbackSuperseded(h) {
		return StepProgress{State: NotRun}
	}
	res, ok := h.Last[id]
	if ok && !res.At.Before(h.RollbackStarted) {
		state := Failed
		if res.OK {
			state = Done
		}
		return StepProgress{State: state, At: res.At, Operator: res.Operator, Detail: res.Message}
	}
	switch {
	case rb.State == Running && rStepStarted(id, rb.Detail, h):
		return StepProgress{State: Running, At: rb.At, Operator: rb.Operator, Detail: rb.Detail}
	case rb.State == Running:
		return StepProgress{State: Queued, At: rb.At, Operator: rb.Operator}
	}
	return StepProgress{State: Interrupted, At: rb.At, Operator: rb.Operator,
		Detail: "the rollback ended before " + id + " had a result: " + rb.Detail}
}

// rStepStarted says whether an R-step without a result has started in the
// running rollback, whose last journaled intent is current ("R2
// set_legacy_freeze=false"): R1–R3 start in order, each kept under
// observation while the next acts; R4 starts once R1–R3 have results.
func rStepStarted(id, current string, h History) bool {
	i := rStepIndex(id)
	if i == len(rSteps)-1 {
		for _, r := range rSteps[:i] {
			if res, ok := h.Last[r]; !ok || res.At.Before(h.RollbackStarted) {
				return false
			}
		}
		return true
	}
	cur, _, _ := strings.Cut(current, " ")
	return rStepIndex(cur) >= i
}

// rollbackSuperseded says whether a forward step (S1–S4) finished OK after
// the newest rollback ended: the rollback, failed or not, no longer
// describes where the cutover stands.
func rollbackSuperseded(h History) bool {
	rb, ok := h.Last[RollbackID]
	return ok && newestStepDone(h).After(rb.At)
}

// newestStepDone is when a forward step last finished OK (zero: never).
func newestStepDone(h History) time.Time {
	var newest time.Time
	for _, s := range []string{"S1", "S2", "S3", "S4"} {
		if t := h.Done[s]; t.After(newest) {
			newest = t
		}
	}
	return newest
}

// cleanlyRolledBack says whether the newest word on the cutover is a
// rollback that ended OK: no forward step finished after it.
func cleanlyRolledBack(h History) bool {
	rb, ok := h.Last[RollbackID]
	return ok && rb.OK && !rollbackSuperseded(h)
}

// Rolled-back and awaiting words (ItemStatus.NotApplicable and Awaits).
const (
	naRolledBack     = "rolled back"
	awaitsWriteProbe = "write probe"
)

// markNotYet marks the verification items that cannot hold yet, or no
// longer apply, so the screen shows them neutral rather than red (their
// verdicts are still computed, and shown in the evidence):
//   - before the cutover step (S1 in staging, S4 in production) is done or
//     observed, every V-item awaits it;
//   - after it, V1 awaits the write probe (S2; in production V1's own
//     probe) while no probe has run since the last journaled mode change:
//     the half of V1 that only an action proves cannot pass before;
//   - after a rollback that ended OK (and no forward step since), every
//     V-item is n/a: rolled back.
func markNotYet(st *State, env *config.Environment, h History) {
	step := cutoverStep(env)
	awaits := ""
	if !h.DoneAfter(step, time.Time{}) {
		if is, ok := st.Item(step); !ok || is.Verdict != checks.Pass {
			awaits = step
		}
	}
	probe := "S2"
	if env.Production {
		probe = awaitsWriteProbe
	}
	for i := range st.Items {
		is := &st.Items[i]
		if is.Item.Kind != Verification {
			continue
		}
		switch {
		case cleanlyRolledBack(h):
			is.NotApplicable = naRolledBack
		case awaits != "":
			is.Awaits = awaits
		case is.Item.ID == "V1" && !probeRanSince(h, h.ModeChanged):
			is.Awaits = probe
		}
	}
}

// probeRanSince says whether a write probe (S2 or V1) passed, or ran to an
// outcome, at or after t: a failed probe is a real red, not a wait.
func probeRanSince(h History, t time.Time) bool {
	if !h.WriteProbe.IsZero() && !h.WriteProbe.Before(t) {
		return true
	}
	for _, id := range []string{"S2", "V1"} {
		if last, ok := h.Last[id]; ok && !last.At.Before(t) {
			return true
		}
	}
	return false
}

// AwaitHolds reports whether an item's wait holds a scripted verification
// (exit 2) rather than passing over it: V1 awaiting its write probe once
// the cutover step is done has a cutover not yet proven; a wait for the
// cutover step itself has nothing to verify yet.
func (is ItemStatus) AwaitHolds() bool {
	return is.Awaits != "" && is.Awaits != "S1" && is.Awaits != "S4"
}

// Shown is the word the screen's verdict column shows for an item, and so
// the word the journal's verdict changes record: n/a, what it awaits, a
// step's progress, or its verdict.
func (is ItemStatus) Shown() string {
	switch {
	case is.NotApplicable != "":
		return "N/A"
	case is.Awaits != "":
		return "AWAITS " + is.Awaits
	case is.Progress.State != "":
		return is.Progress.State.Word()
	}
	return is.Verdict.String()
}
