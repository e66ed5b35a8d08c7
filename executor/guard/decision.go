package guard

import (
	"fmt"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// Phase is where the guard stands on an incident. Every phase but Idle
// names the incident and says why; only Acting starts anything.
type Phase int

// The guard's phases, from quiet to acting.
const (
	// Idle: no guarded criterion is pending, firing or blind.
	Idle Phase = iota
	// Advised: a criterion fires; the guard tells the team and does
	// nothing (advise mode, or nothing left to roll back).
	Advised
	// Holding: the guard would count down or act, but cannot trust the
	// data (an input UNKNOWN or stale), the criterion has fired for less
	// than its for, or a human's step is running.
	Holding
	// Countdown: the rollback starts when Remaining reaches zero unless
	// someone cancels.
	Countdown
	// Acting: the guard's rollback is running.
	Acting
	// Acted: the incident was rolled back (by this guard, another guard or
	// a human), or the guard's rollback could not start; Reason says which.
	Acted
	// Cancelled: someone cancelled the countdown for this incident; Reason
	// says who and why. The guard stays off it until the incident clears.
	Cancelled
)

var phaseNames = [...]string{"idle", "advised", "holding", "countdown", "acting", "acted", "cancelled"}

func (p Phase) String() string { return phaseNames[p] }

// MarshalText names the phase in JSON (status -o json).
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Phases lists every phase, for a metric that gives each its series.
func Phases() []Phase {
	return []Phase{Idle, Advised, Holding, Countdown, Acting, Acted, Cancelled}
}

// Decision is what the guard says and does after one round: the same
// sentence on every screen, follower, webhook and in status -o json.
type Decision struct {
	Phase Phase            `json:"state"`
	Mode  config.GuardMode `json:"mode"`
	// Criterion is the incident the decision is about ("I2
	// write_error_spike"); "" when idle.
	Criterion string `json:"criterion,omitempty"`
	Runbook   string `json:"runbook,omitempty"`
	Title     string `json:"title,omitempty"`
	// FiringFor is how long the criterion's condition has held.
	FiringFor time.Duration `json:"-"`
	// Remaining is the countdown left (Countdown; 0 at its end).
	Remaining time.Duration `json:"-"`
	// Reason says why it holds, who cancelled and why, or who acted.
	Reason string `json:"reason,omitempty"`
	// Evidence is the criterion's evidence and its inputs' ages: what
	// the approval record of the guard's rollback carries.
	Evidence string `json:"evidence,omitempty"`
	// Act is true on the one round the rollback must start.
	Act bool      `json:"-"`
	At  time.Time `json:"at"`
	// Since is when the guard entered this phase for this incident.
	Since time.Time `json:"since,omitzero"`
}

// RemainingSeconds is the countdown left in whole seconds (rounded up, so
// the banner never shows 0:00 before the rollback starts).
func (d Decision) RemainingSeconds() int {
	return int((d.Remaining + time.Second - 1) / time.Second)
}

// Line is the banner: one sentence an operator reads in a second.
func (d Decision) Line() string {
	head := d.Criterion
	if d.Title != "" {
		head = d.Runbook + " " + d.Title
	}
	if d.FiringFor > 0 {
		head += " firing " + checks.ShortDuration(d.FiringFor)
	}
	switch d.Phase {
	case Advised:
		return head + ": rollback advised" + suffix(d.Reason)
	case Holding:
		return head + ": holding: " + d.Reason
	case Countdown:
		s := d.RemainingSeconds()
		return fmt.Sprintf("%s: rollback in %d:%02d — press c to cancel", head, s/60, s%60)
	case Acting:
		return head + ": rolling back (approval guard)"
	case Acted:
		return head + ": " + d.Reason
	case Cancelled:
		return head + ": countdown cancelled " + d.Reason
	}
	return fmt.Sprintf("guard %s: no guarded incident firing", d.Mode)
}

func suffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}
