// Package guard decides, round by round, what the automatic rollback does:
// nothing, advise, hold (and say why), count down, act, or stand down
// (cancelled, or someone else acted). Its core (Guard) is pure: it is given
// each round of the engine's state and the round's clock, and tests drive
// it with their own clock. Runner is the loop around it that `cockpit
// guard` and operate both run: it observes, feeds the core, journals, and
// runs the rollback through the executor, lock and journal a human's goes
// through, on the one Decision that says Act.
package guard

import (
	"fmt"
	"slices"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// Policy is an environment's guard, as configured.
type Policy struct {
	Mode      config.GuardMode
	Countdown time.Duration
	// Criteria are the criteria it acts on, by name or runbook criterion.
	Criteria []string
}

// PolicyOf is the policy of a configured guard; act mode is a countdown of
// zero.
func PolicyOf(g config.Guard) Policy {
	p := Policy{Mode: g.Mode, Countdown: g.Countdown.D(), Criteria: g.Criteria}
	if p.Mode == config.GuardAct {
		p.Countdown = 0
	}
	return p
}

// guards says whether the policy covers criterion c.
func (p Policy) guards(c Criterion) bool {
	return slices.Contains(p.Criteria, c.ID) || slices.Contains(p.Criteria, c.Runbook)
}

// Criterion is one incident criterion as one round of the engine saw it.
type Criterion struct {
	ID      string // config name, e.g. write_error_spike
	Runbook string // I1, I2, I3
	Title   string
	State   runbook.IncidentState
	// For is how long the condition must hold before the criterion fires;
	// HeldFor is how long it has held.
	For, HeldFor time.Duration
	Evidence     string
	// Inputs are the signals the criterion reads, with their ages.
	Inputs []Input
}

// Name is how the guard names a criterion: "I2 write_error_spike".
func (c Criterion) Name() string { return c.Runbook + " " + c.ID }

// Input is one signal a criterion reads.
type Input struct {
	Name string
	// Known: the last query answered with data the engine can judge; Why
	// says what is wrong when it is not.
	Known bool
	Why   string
	// Age is how old its data is (negative: never observed); past
	// StaleAfter it is stale.
	Age, StaleAfter time.Duration
}

// Stale says whether the input's data is too old to act on.
func (in Input) Stale() bool {
	return in.Age < 0 || (in.StaleAfter > 0 && in.Age > in.StaleAfter)
}

// distrust is why an input cannot be acted on, "" when it can.
func (in Input) distrust() string {
	switch {
	case in.Age < 0:
		return in.Name + " never observed"
	case in.Stale():
		return fmt.Sprintf("%s stale for %s (data %s old, stale after %s)", in.Name,
			checks.ShortDuration(in.Age-in.StaleAfter), checks.FormatAge(in.Age), checks.ShortDuration(in.StaleAfter))
	case !in.Known:
		return in.Name + " unknown: " + in.Why
	}
	return ""
}

// Round is what the guard is given each round.
type Round struct {
	At       time.Time
	Criteria []Criterion
	// Rollback is the newest rollback the journal shows (zero: none).
	Rollback Rollback
	// Busy names a human's forward step still running ("S3 by alice"):
	// the guard waits for it, never preempts it. "" when none.
	Busy string
	// CutOver: there is something to roll back (writes reach Rust, or S1
	// is journaled done after the last rollback). Without it the guard
	// only advises.
	CutOver bool
}

// Rollback is a rollback the journal shows.
type Rollback struct {
	Started time.Time
	By      string
}

// Guard is the decision core: it remembers, per criterion, the incident
// it is on (since when, its countdown, a cancel, its own rollback).
type Guard struct {
	policy    Policy
	incidents map[string]*incident
	// own is when this guard last started a rollback: every incident
	// that began by then is rolled back, whatever the journal says yet.
	own time.Time
}

// incident is one firing episode of one criterion, from its first pending
// or firing round until it clears: the unit the guard acts on at most once.
type incident struct {
	began     time.Time
	countFrom time.Time // when the countdown started; zero: not counting
	since     time.Time // when the current phase began
	phase     Phase
	cancelled string // "by alice: false alarm"
	acted     bool   // this guard started its rollback
	done      bool   // and it ended
	result    string
}

// New is a guard with its policy and no incident.
func New(p Policy) *Guard {
	return &Guard{policy: p, incidents: map[string]*incident{}}
}
