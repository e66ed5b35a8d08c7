package checks

import (
	"time"

	"github.com/openagents/cockpit/metrics"
)

// ConditionState is where a for/keep_firing_for timer stands.
type ConditionState int

// The states of a Prometheus alerting rule.
const (
	Inactive     ConditionState = iota // the condition is false (and no keep-firing window is open)
	PendingState                       // the condition is true, its `for` has not elapsed yet
	Firing                             // held for `for`, or cleared less than keep_firing_for ago
)

func (s ConditionState) String() string {
	switch s {
	case PendingState:
		return "pending"
	case Firing:
		return "firing"
	default:
		return "inactive"
	}
}

// Condition is the for/keep_firing_for timer of a Prometheus alerting rule.
// Threshold checks and incident criteria share this one implementation so
// that "breached for 5m" means the same thing on every pane and in every gate.
//
// Observe it with the time the data describes (a sample's evaluation time),
// not the wall clock: a timer must not advance on data nobody has seen.
type Condition struct {
	For           time.Duration
	KeepFiringFor time.Duration

	state        ConditionState
	activeSince  time.Time // when the condition last became true; zero while false
	firingSince  time.Time
	clearedSince time.Time // when a firing condition became false; zero otherwise
	last         time.Time // the latest observation, to ignore out-of-order ones
}

// Observe feeds one evaluation of the condition at now and returns the state.
// An observation older than the previous one is ignored.
func (c *Condition) Observe(active bool, now time.Time) ConditionState {
	if !c.last.IsZero() && now.Before(c.last) {
		return c.state
	}
	c.last = now
	if active {
		c.clearedSince = time.Time{}
		if c.activeSince.IsZero() {
			c.activeSince = now
		}
		if c.state != Firing && now.Sub(c.activeSince) >= c.For {
			c.state, c.firingSince = Firing, now
		} else if c.state == Inactive {
			c.state = PendingState
		}
		return c.state
	}
	c.activeSince = time.Time{}
	if c.state == Firing && c.KeepFiringFor > 0 {
		if c.clearedSince.IsZero() {
			c.clearedSince = now
		}
		if now.Sub(c.clearedSince) < c.KeepFiringFor {
			return c.state
		}
	}
	c.state, c.firingSince, c.clearedSince = Inactive, time.Time{}, time.Time{}
	return c.state
}

// Replay feeds a signal's history (oldest first) into a timer that has seen
// nothing yet, so a fresh process, such as a one-shot `check incidents`,
// knows how long a condition has already held, as Prometheus restores an
// alert's `for` state after a restart. Points at or after upTo are left for
// Observe; a timer that has observed anything ignores the call.
func (c *Condition) Replay(history []metrics.Point, upTo time.Time, active func(v float64) bool) {
	if !c.last.IsZero() {
		return
	}
	for _, p := range history {
		if !p.T.Before(upTo) {
			break
		}
		c.Observe(active(p.V), p.T)
	}
}

// State is the state after the latest observation.
func (c *Condition) State() ConditionState { return c.state }

// HeldFor is how long the condition has been true as of now; 0 while false.
func (c *Condition) HeldFor(now time.Time) time.Duration {
	if c.activeSince.IsZero() {
		return 0
	}
	return now.Sub(c.activeSince)
}

// FiringSince is when the condition started firing; zero unless firing.
func (c *Condition) FiringSince() time.Time { return c.firingSince }

// ClearedSince is when a firing condition became false and its
// keep_firing_for window opened; zero unless that window is open.
func (c *Condition) ClearedSince() time.Time { return c.clearedSince }
