package guard

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

var t0 = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)

// at is t0 plus s seconds: the injected clock.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func fresh() Input {
	return Input{Name: "rust_write_error_rate", Known: true, Age: 20 * time.Second, StaleAfter: 90 * time.Second}
}

func spike(state runbook.IncidentState, held time.Duration, inputs ...Input) Criterion {
	if len(inputs) == 0 {
		inputs = []Input{fresh()}
	}
	return Criterion{ID: "write_error_spike", Runbook: "I2", Title: "write error spike", State: state,
		For: 2 * time.Minute, HeldFor: held, Evidence: "rust: 9.1% > 2% for 2m → " + state.String(), Inputs: inputs}
}

func firing() Criterion { return spike(runbook.IncidentFiring, 3*time.Minute) }

func ok() Criterion { return spike(runbook.IncidentOK, 0) }

func round(s int, cs ...Criterion) Round {
	return Round{At: at(s), Criteria: cs, CutOver: true}
}

func countdown(d time.Duration) *Guard {
	return New(Policy{Mode: config.GuardCountdown, Countdown: d, Criteria: []string{"I2"}})
}

// step is one round of a table: what the guard is given, any action
// taken before it, and what it must decide.
type step struct {
	round  Round
	before func(g *Guard)
	phase  Phase
	act    bool
	reason string // a substring of Reason
	left   time.Duration
}

func runSteps(t *testing.T, g *Guard, steps []step) {
	t.Helper()
	acts := 0
	for i, s := range steps {
		if s.before != nil {
			s.before(g)
		}
		d := g.Observe(s.round)
		if d.Act {
			acts++
		}
		if d.Phase != s.phase || d.Act != s.act || !strings.Contains(d.Reason, s.reason) ||
			(s.phase == Countdown && d.Remaining != s.left) {
			t.Fatalf("round %d (t0+%s): got %s act=%v remaining=%s reason %q (%s); want %s act=%v remaining=%s reason ~%q",
				i, s.round.At.Sub(t0), d.Phase, d.Act, d.Remaining, d.Reason, d.Line(), s.phase, s.act, s.left, s.reason)
		}
	}
	if acts > 1 {
		t.Fatalf("the guard acted %d times", acts)
	}
}

func TestCountdownActsOnceAtZero(t *testing.T) {
	runSteps(t, countdown(10*time.Second), []step{
		{round: round(0, ok()), phase: Idle},
		{round: round(1, firing()), phase: Countdown, left: 10 * time.Second},
		{round: round(6, firing()), phase: Countdown, left: 5 * time.Second},
		{round: round(11, firing()), phase: Acting, act: true},
		{round: round(12, firing()), phase: Acting},
		{round: round(13, firing()), before: func(g *Guard) { g.Finished("rollback OK: R1–R4 verified") }, phase: Acted, reason: "rollback OK"},
		{round: round(14, firing()), phase: Acted, reason: "rollback OK"},
		{round: round(15, ok()), phase: Idle},
		// Fires again after its own rollback: nothing is on rust any more.
		{round: Round{At: at(16), Criteria: []Criterion{firing()}}, phase: Advised, reason: "nothing to roll back"},
	})
}

func TestActModeIsACountdownOfZero(t *testing.T) {
	g := New(PolicyOf(config.Guard{Mode: config.GuardAct, Countdown: config.Duration(2 * time.Minute), Criteria: []string{"write_error_spike"}}))
	runSteps(t, g, []step{
		{round: round(0, spike(runbook.IncidentPending, time.Minute)), phase: Holding, reason: "firing 1m of its 2m for"},
		{round: round(1, firing()), phase: Acting, act: true},
		{round: round(2, firing()), phase: Acting},
	})
}

func TestAdviseNeverActs(t *testing.T) {
	g := New(Policy{Mode: config.GuardAdvise, Countdown: time.Second, Criteria: []string{"I2"}})
	var steps []step
	for s := range 10 {
		steps = append(steps, step{round: round(s*60, firing()), phase: Advised})
	}
	runSteps(t, g, steps)
	if line := g.Observe(round(600, firing())).Line(); line != "I2 write error spike firing 3m: rollback advised" {
		t.Errorf("advise banner = %q", line)
	}
}

func TestNeverOnBadData(t *testing.T) {
	stale := fresh()
	stale.Age = 3*time.Minute + 30*time.Second
	failing := fresh()
	failing.Known, failing.Why = false, "query error: bad_data: parse error"
	unseen := fresh()
	unseen.Age = -1
	unknown := spike(runbook.IncidentUnknown, 0, stale)
	for _, tc := range []struct {
		name   string
		c      Criterion
		reason string
	}{
		{"stale input while firing", spike(runbook.IncidentFiring, 3*time.Minute, stale), "rust_write_error_rate stale for 2m (data 3m30s old, stale after 1m30s)"},
		{"failing query while firing", spike(runbook.IncidentFiring, 3*time.Minute, failing), "unknown: query error: bad_data"},
		{"never observed", spike(runbook.IncidentFiring, 3*time.Minute, unseen), "never observed"},
		{"one of two inputs stale", spike(runbook.IncidentFiring, 3*time.Minute, fresh(), stale), "stale for 2m"},
		{"pending: fired less than its for", spike(runbook.IncidentPending, 90*time.Second), "firing 1m30s of its 2m for"},
		{"unknown criterion, never fired", unknown, "stale for 2m"},
		{"unknown criterion without inputs", Criterion{ID: "critical_parity", Runbook: "I2", State: runbook.IncidentUnknown,
			Evidence: "parity → > 0 → unknown (no report within max_age)"}, "unknown: no report within max_age"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New(Policy{Mode: config.GuardAct, Criteria: []string{"I2"}})
			var steps []step
			for s := range 5 {
				steps = append(steps, step{round: round(s*60, tc.c), phase: Holding, reason: tc.reason})
			}
			runSteps(t, g, steps)
		})
	}
}

// TestAHoldRestartsTheCountdown: a countdown interrupted by stale data
// starts again in full once the data is fresh: the team gets its whole
// window on data it can trust.
func TestAHoldRestartsTheCountdown(t *testing.T) {
	stale := fresh()
	stale.Age = 2 * time.Minute
	runSteps(t, countdown(10*time.Second), []step{
		{round: round(0, firing()), phase: Countdown, left: 10 * time.Second},
		{round: round(8, firing()), phase: Countdown, left: 2 * time.Second},
		{round: round(9, spike(runbook.IncidentUnknown, 0, stale)), phase: Holding, reason: "stale for 30s"},
		{round: round(30, spike(runbook.IncidentFiring, 3*time.Minute, stale)), phase: Holding, reason: "stale"},
		{round: round(31, firing()), phase: Countdown, left: 10 * time.Second},
		{round: round(41, firing()), phase: Acting, act: true},
	})
}

func TestCancelStopsTheCountdownUntilTheIncidentClears(t *testing.T) {
	cancel := func(g *Guard) {
		if ids := g.Cancel("alice", "false alarm: load test", at(5)); !slices.Equal(ids, []string{"write_error_spike"}) {
			t.Errorf("cancelled %v", ids)
		}
	}
	runSteps(t, countdown(10*time.Second), []step{
		{round: round(0, firing()), phase: Countdown, left: 10 * time.Second},
		{round: round(5, firing()), before: cancel, phase: Cancelled, reason: "by alice: false alarm: load test"},
		{round: round(60, firing()), phase: Cancelled, reason: "by alice"},
		{round: round(61, spike(runbook.IncidentUnknown, 0)), phase: Cancelled},
		{round: round(62, ok()), phase: Idle},
		{round: round(63, firing()), phase: Countdown, left: 10 * time.Second},
	})
}

func TestCancelTouchesOnlyWhatIsLive(t *testing.T) {
	g := countdown(10 * time.Second)
	if ids := g.Cancel("alice", "nothing yet", at(0)); ids != nil {
		t.Errorf("cancelled %v with nothing live", ids)
	}
	g.Observe(round(10, firing()))
	// A cancel written before this incident began is about another one.
	if ids := g.Cancel("bob", "old", at(9)); ids != nil {
		t.Errorf("a cancel older than the incident cancelled %v", ids)
	}
	if d := g.Observe(round(20, firing())); !d.Act {
		t.Errorf("after a stale cancel: %s, want the rollback", d.Line())
	}
	if ids := g.Cancel("carol", "too late", at(21)); ids != nil {
		t.Errorf("cancelled %v after the rollback started", ids)
	}
}

func TestSomeoneElsesRollbackStandsTheGuardDown(t *testing.T) {
	other := func(s int) Round {
		r := round(s, firing())
		r.Rollback = Rollback{Started: at(5), By: "alice on ops-2 (pid 4242)"}
		return r
	}
	runSteps(t, countdown(10*time.Second), []step{
		{round: round(0, firing()), phase: Countdown, left: 10 * time.Second},
		{round: other(6), phase: Acted, reason: "rolled back by alice on ops-2 (pid 4242) at 03:00:05Z"},
		{round: other(20), phase: Acted, reason: "alice"},
	})
	// A rollback older than the incident is another incident's.
	older := round(100, firing())
	older.Rollback = Rollback{Started: at(5), By: "alice"}
	g := countdown(10 * time.Second)
	if d := g.Observe(older); d.Phase != Countdown {
		t.Errorf("an older rollback stood the guard down: %s", d.Line())
	}
}

func TestTheCountdownWaitsForAHumansStep(t *testing.T) {
	busy := func(s int) Round {
		r := round(s, firing())
		r.Busy = "S3 by alice"
		return r
	}
	runSteps(t, countdown(10*time.Second), []step{
		{round: busy(0), phase: Countdown, left: 10 * time.Second},
		{round: busy(10), phase: Holding, reason: "countdown over: waiting for S3 by alice to finish"},
		{round: busy(300), phase: Holding, reason: "S3 by alice"},
		{round: round(301, firing()), phase: Acting, act: true},
	})
}

// TestTwoCriteriaOneRollback: a second criterion reaching zero while the
// first one's rollback runs holds, then reads the rollback as its own.
func TestTwoCriteriaOneRollback(t *testing.T) {
	drift := Criterion{ID: "critical_drift", Runbook: "I3", Title: "hash-mismatch drift", State: runbook.IncidentFiring,
		For: time.Minute, HeldFor: 2 * time.Minute}
	g := New(Policy{Mode: config.GuardCountdown, Countdown: 10 * time.Second, Criteria: []string{"I2", "I3"}})
	runSteps(t, g, []step{
		{round: round(0, firing()), phase: Countdown, left: 10 * time.Second},
		{round: round(5, firing(), drift), phase: Countdown, left: 5 * time.Second},
		{round: round(10, firing(), drift), phase: Acting, act: true},
		{round: round(15, firing(), drift), phase: Acting},
		{round: round(16, firing(), drift), before: func(g *Guard) { g.Finished("rollback OK") }, phase: Acted},
	})
	if d := g.Observe(round(17, ok(), drift)); d.Phase != Acted || !strings.Contains(d.Reason, "rolled back by this guard at 03:00:10Z") {
		t.Errorf("the second criterion after the rollback: %s", d.Line())
	}
}

func TestAFailedStartIsNeverRetried(t *testing.T) {
	g := New(Policy{Mode: config.GuardAct, Criteria: []string{"I2"}})
	runSteps(t, g, []step{
		{round: round(0, firing()), phase: Acting, act: true},
		{round: round(1, firing()), before: func(g *Guard) { g.Finished("not started: a rollback by bob holds the lock") }, phase: Acted, reason: "holds the lock"},
		{round: round(600, firing()), phase: Acted, reason: "holds the lock"},
	})
}

func TestOnlyGuardedCriteriaCount(t *testing.T) {
	g := New(Policy{Mode: config.GuardAct, Criteria: []string{"critical_drift"}})
	runSteps(t, g, []step{
		{round: round(0, firing()), phase: Idle},
		{round: round(1, spike(runbook.IncidentUnknown, 0)), phase: Idle},
	})
}

func TestNothingToRollBackOnlyAdvises(t *testing.T) {
	g := New(Policy{Mode: config.GuardAct, Criteria: []string{"I2"}})
	if d := g.Observe(Round{At: at(0), Criteria: []Criterion{firing()}}); d.Phase != Advised || d.Act {
		t.Errorf("before the cutover: %s act=%v, want advised", d.Line(), d.Act)
	}
}

func TestBannerLines(t *testing.T) {
	g := countdown(2 * time.Minute)
	g.Observe(round(0, firing()))
	d := g.Observe(round(18, firing()))
	if want := "I2 write error spike firing 3m: rollback in 1:42 — press c to cancel"; d.Line() != want {
		t.Errorf("countdown banner = %q, want %q", d.Line(), want)
	}
	if d.RemainingSeconds() != 102 {
		t.Errorf("remaining = %ds, want 102", d.RemainingSeconds())
	}
	if !strings.Contains(d.Evidence, "I2 write_error_spike firing 03:00:18Z (held 3m, for 2m): rust: 9.1% > 2%") ||
		!strings.Contains(d.Evidence, "rust_write_error_rate data 20s old") {
		t.Errorf("evidence = %q", d.Evidence)
	}
	d.Remaining = 300 * time.Millisecond
	if d.RemainingSeconds() != 1 {
		t.Errorf("300ms left shows %ds: the banner must not read 0:00 before the rollback", d.RemainingSeconds())
	}
	if line := (Decision{Mode: config.GuardCountdown}).Line(); line != "guard countdown: no guarded incident firing" {
		t.Errorf("idle banner = %q", line)
	}
}

// BenchmarkObserve is one round's decision over the default seven
// criteria: what the guard adds to each engine round.
func BenchmarkObserve(b *testing.B) {
	g := countdown(time.Minute)
	cs := []Criterion{firing()}
	for _, id := range []string{"critical_parity", "frozen_writes", "misrouted_writes", "unbounded_drift", "critical_drift", "checkpoint_regression"} {
		c := ok()
		c.ID = id
		cs = append(cs, c)
	}
	i := 0
	for b.Loop() {
		g.Observe(round(i, cs...))
		i++
	}
}
