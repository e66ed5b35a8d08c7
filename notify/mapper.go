package notify

import (
	"strings"
	"sync"

	"github.com/openagents/cockpit/journal"
)

// rollbackStep is the Step the journal gives the whole rollback; it is
// runbook.RollbackID, which this package cannot import (runbook imports
// config, which embeds this package's Config).
const rollbackStep = "rollback"

// Incident states as the Mapper remembers them per check.
const (
	incidentPending = "pending"
	incidentFiring  = "firing"
	incidentOK      = "ok"
)

// Mapper turns journal records into events. It remembers what it has seen
// (which actions have started, where each incident stands), so one Mapper
// must see every record of a journal, in order. The zero value is ready and
// it is safe for concurrent use.
type Mapper struct {
	mu        sync.Mutex
	started   map[string]bool   // step → its start was told, until its outcome
	incidents map[string]string // check → pending or firing
}

// FromRecord is the event r means, if any:
//   - the first approval or intent of an action: action.started
//     (rollback.started for the rollback); sub-step intents are not told;
//   - an action's final outcome (no Check): action.done or action.failed,
//     rollback.done for the rollback with OK or FAILED as its Verdict;
//   - an override: override, with its reason;
//   - a verdict of an incident criterion (I1, I2, I3, or W, exactly one
//     writer): incident.pending, incident.firing (FAIL or firing), and
//     incident.resolved when one that was firing passes (a pending one
//     that clears is not told resolved);
//   - the lock: lock.taken, and lock.released, with Verdict LOST when it
//     went without a clean release (VerdictLockLost);
//   - the guard's states: guard.advised, guard.countdown, guard.holding,
//     guard.cancelled, guard.acted.
//
// Everything else (sessions, refusals, progress, artifacts, sub-step
// outcomes, unchanged or unknown verdicts) is not an event.
func (m *Mapper) FromRecord(r journal.Record) (Event, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := Event{Env: r.Env, Operator: r.Operator, Host: r.Host, Step: r.Step, Check: r.Check,
		Verdict: r.Verdict, Message: r.Message, Reason: r.Reason, At: r.Time}
	switch r.Kind {
	case journal.KindApproval, journal.KindIntent:
		return e, m.start(&e)
	case journal.KindOutcome:
		return e, m.finish(&e, r)
	case journal.KindOverride:
		e.Kind = KindOverride
		return e, true
	case journal.KindVerdict:
		return e, m.incident(&e, r)
	case journal.KindProgress:
		return e, lockChange(&e, r)
	case journal.KindGuard:
		return e, guardChange(&e)
	}
	return Event{}, false
}

// The executor's words for the lock changing hands (runbook's
// LockTakenMessage, LockReleasedMessage and LockLostMessage, and
// lock.AbandonedWords; notify imports neither: runbook and lock import
// config, which embeds this package's Config).
const (
	lockTakenWords     = "lock taken"
	lockReleasedWords  = "lock released"
	lockLostWords      = "lock lost"
	lockAbandonedWords = "lock abandoned"
)

// VerdictLockLost is the Verdict of a lock.released event for a lock
// that went without a clean release: lost while held, a release that
// failed, or abandoned by a process that ended holding it (told by the
// next process to take it). Every lock taken is told released or lost.
const VerdictLockLost = "LOST"

// lockChange tells the environment's lock taken, released or lost, from
// the executor's and the locker's progress records on it.
func lockChange(e *Event, r journal.Record) bool {
	if r.Check != "lock" {
		return false
	}
	switch {
	case strings.HasPrefix(r.Message, lockTakenWords):
		e.Kind = KindLockTaken
	case r.Message == lockReleasedWords:
		e.Kind = KindLockReleased
	case strings.HasPrefix(r.Message, lockLostWords), strings.HasPrefix(r.Message, lockAbandonedWords):
		e.Kind, e.Verdict = KindLockReleased, VerdictLockLost
	default:
		return false
	}
	e.Check = ""
	return true
}

// guardChange tells what the guard journals of its own states: advised,
// countdown, holding, cancelled and acted (by someone else); its own
// rollback is told as every rollback is, from the executor's records.
func guardChange(e *Event) bool {
	kind := "guard." + e.Verdict
	switch kind {
	case KindGuardAdvised, KindGuardCountdown, KindGuardHolding, KindGuardCancelled, KindGuardActed:
		e.Kind = kind
		return true
	}
	return false
}

// start tells an action's start once, whichever record comes first.
func (m *Mapper) start(e *Event) bool {
	if e.Step == "" || m.started[e.Step] {
		return false
	}
	if m.started == nil {
		m.started = map[string]bool{}
	}
	m.started[e.Step] = true
	e.Kind, e.Check = KindActionStarted, ""
	if isRollback(e.Step) {
		e.Kind = KindRollbackStarted
	}
	return true
}

// finish tells an action's final outcome; a sub-step's (with a Check) is
// part of the action's progress.
func (m *Mapper) finish(e *Event, r journal.Record) bool {
	if r.Check != "" || r.Step == "" {
		return false
	}
	delete(m.started, r.Step)
	ok := r.OK != nil && *r.OK
	e.Kind, e.Verdict = KindActionDone, "OK"
	if !ok {
		e.Kind, e.Verdict = KindActionFailed, "FAILED"
	}
	if isRollback(r.Step) {
		e.Kind = KindRollbackDone
	}
	return true
}

// incident tells an incident criterion's changes. The engine journals
// incidents as "I2 write_error_spike" with pending, firing or ok; the
// verdict vocabulary (PENDING, FAIL, PASS) is read the same way.
func (m *Mapper) incident(e *Event, r journal.Record) bool {
	if !isIncident(r.Check) {
		return false
	}
	state := incidentState(r.Verdict)
	prev := m.incidents[r.Check]
	if state == "" || state == prev || (state == incidentOK && prev == "") {
		return false
	}
	e.Message = r.Evidence
	if state == incidentOK {
		delete(m.incidents, r.Check)
		// Only what fired resolves: a pending that clears was never an
		// incident, and a target told "resolved" of one it never heard
		// fire is told of a problem that did not exist.
		e.Kind = KindIncidentResolved
		return prev == incidentFiring
	}
	if m.incidents == nil {
		m.incidents = map[string]string{}
	}
	m.incidents[r.Check] = state
	e.Kind = KindIncidentPending
	if state == incidentFiring {
		e.Kind = KindIncidentFiring
	}
	return true
}

// incidentState reads a verdict as pending, firing or ok; anything else
// (unknown, WARN) changes nothing: no data is not a resolution.
func incidentState(verdict string) string {
	switch strings.ToLower(verdict) {
	case "pending":
		return incidentPending
	case "fail", "firing":
		return incidentFiring
	case "pass", "ok":
		return incidentOK
	}
	return ""
}

// isIncident reports whether check names an incident criterion: I1, I2,
// I3 (any I and digits) or W, alone or followed by the criterion's name.
func isIncident(check string) bool {
	id, _, _ := strings.Cut(check, " ")
	if id == "W" {
		return true
	}
	if len(id) < 2 || id[0] != 'I' {
		return false
	}
	return strings.Trim(id[1:], "0123456789") == ""
}

func isRollback(step string) bool { return strings.EqualFold(step, rollbackStep) }
