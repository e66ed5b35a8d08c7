// Package lock keeps two operators from acting on the same environment at
// once. A refusal names who holds the lock, since when and for which step,
// so the second operator knows whom to talk to instead of retrying blindly.
//
// A rollback always wins (Env): it takes the lock over from a forward step,
// which learns it at once (its session hears the request on the key's
// LISTEN/NOTIFY channel, or a signal on this machine) and passes a fence —
// a round trip on its own lock session, Lease.Check — before each actuator,
// so none starts once the lock is taken. Liveness is an answer to a probe
// on that channel, which needs no table and no right to read another
// role's pg_stat_activity row: a holder that never answers (a suspended
// laptop, a stray session, a forged name) is ended after a bound.
package lock

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/internal/age"
)

// Locker grants one holder at a time per environment. Release is safe to
// call once; a holder that dies loses the lock (the kernel closes its file,
// PostgreSQL ends its session).
type Locker interface {
	Acquire(ctx context.Context, holder Holder) (*Lease, error)
}

// Holder says who holds a lock: it is stored with the lock so a refused
// acquirer can name it.
type Holder struct {
	Operator string    `json:"operator"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Env      string    `json:"env"`
	Step     string    `json:"step"`
	Since    time.Time `json:"since"`
}

// BusyError is the refusal: the lock is held by Holder. At is when the
// refusal happened, so the message can say how long the holder has held it.
type BusyError struct {
	Holder Holder
	At     time.Time
	// Session is the holder's database backend pid (advisory locks only):
	// a preempting rollback ends that session.
	Session int
	// Foreign: the holder's session is not a cockpit's (its
	// application_name is not one a cockpit writes).
	Foreign bool
}

func (e *BusyError) Error() string {
	h := e.Holder
	if h.Operator == "" && h.PID == 0 {
		return "lock held by an unknown holder (it wrote no details)"
	}
	msg := fmt.Sprintf("lock held by %s@%s pid %d", h.Operator, h.Host, h.PID)
	if !h.Since.IsZero() {
		msg += fmt.Sprintf(" since %s (%s ago)", h.Since.Local().Format(time.TimeOnly), age.Format(e.At.Sub(h.Since)))
	}
	if h.Step != "" {
		msg += " running " + h.Step
	}
	return msg
}

// RollbackStep is the step name a rollback holds the lock under
// (runbook.RollbackID; the lock package cannot import runbook). Only a live
// rollback holds another rollback off; every other step is preempted.
const RollbackStep = "rollback"

func (h Holder) isRollback() bool { return strings.EqualFold(h.Step, RollbackStep) }

// forward says whether the holder runs a step a rollback preempts: any
// named step but a rollback.
func (h Holder) forward() bool { return h.Step != "" && !h.isRollback() }
