// Package notify tells the team about a cutover as it happens: actions
// started and finished, overrides with their reasons, the rollback,
// incidents going pending, firing and resolved, and the lock. Each target is
// a webhook (Slack's incoming webhooks, or any receiver of JSON) with its own
// queue and goroutine, so a receiver that hangs delays nothing but itself:
// Notify never blocks, and a message that could not be delivered is counted
// and reported, never lost silently.
package notify

import (
	"slices"
	"time"
)

// Event kinds: the closed set a target subscribes to by name.
const (
	KindActionStarted    = "action.started"
	KindActionDone       = "action.done"
	KindActionFailed     = "action.failed"
	KindOverride         = "override"
	KindRollbackStarted  = "rollback.started"
	KindRollbackDone     = "rollback.done"
	KindIncidentPending  = "incident.pending"
	KindIncidentFiring   = "incident.firing"
	KindIncidentResolved = "incident.resolved"
	KindLockTaken        = "lock.taken"
	KindLockReleased     = "lock.released"
	// The guard (cockpit guard): a rollback advised, a countdown started,
	// a hold on data it cannot trust (with why), a countdown cancelled
	// (who and why), a rollback another guard or a human ran.
	KindGuardAdvised   = "guard.advised"
	KindGuardCountdown = "guard.countdown"
	KindGuardHolding   = "guard.holding"
	KindGuardCancelled = "guard.cancelled"
	KindGuardActed     = "guard.acted"
)

var kinds = []string{
	KindActionStarted, KindActionDone, KindActionFailed, KindOverride,
	KindRollbackStarted, KindRollbackDone,
	KindIncidentPending, KindIncidentFiring, KindIncidentResolved,
	KindLockTaken, KindLockReleased,
	KindGuardAdvised, KindGuardCountdown, KindGuardHolding, KindGuardCancelled, KindGuardActed,
}

// Kinds lists every event kind, in the order of a cutover's life.
func Kinds() []string { return slices.Clone(kinds) }

// Event is one thing the team is told. Its fields are the only values a
// target's template can use; each one is cleaned of control characters
// before it is rendered.
type Event struct {
	Kind     string `json:"kind"`
	Env      string `json:"env"`
	Operator string `json:"operator"`
	Host     string `json:"host"`
	Step     string `json:"step"`
	// Check is the incident criterion (e.g. "I2 write_error_spike").
	Check string `json:"check"`
	// Verdict is the incident's or the action's answer (PENDING, OK, FAILED…).
	Verdict string `json:"verdict"`
	Message string `json:"message"`
	// Reason is an override's reason, as the operator typed it.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// LockTaken is the event for an environment's lock taken by operator;
// holder says where (e.g. "alice@db1 pid 4242 for S2"). The lock is not
// journaled when it is taken, so whoever takes it tells the Notifier.
func LockTaken(env, operator, holder string) Event {
	return Event{Kind: KindLockTaken, Env: env, Operator: operator, Message: holder}
}

// LockReleased is LockTaken's counterpart, once the lock is given back.
func LockReleased(env, operator, holder string) Event {
	return Event{Kind: KindLockReleased, Env: env, Operator: operator, Message: holder}
}
