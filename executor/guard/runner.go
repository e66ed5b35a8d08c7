package guard

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// The guard's own journal words (journal.KindGuard's Verdict) beside its
// phases: a guard starting and stopping, a cancel asked for, and the
// answer to a cancel that found nothing live.
const (
	VerdictStarted    = "started"
	VerdictStopped    = "stopped"
	VerdictCancel     = "cancel"
	VerdictCancelVoid = "cancel-void"
)

// Actor is the door the runner's rollback goes through: the executor, or
// the acting screen's tracked door to it, so a human's rollback and the
// guard's meet at the same lock.
type Actor interface {
	Plan(ctx context.Context, id string) (executor.Plan, error)
	Execute(ctx context.Context, p executor.Plan, ap executor.Approval, report func(executor.Progress)) (executor.Outcome, error)
}

// Output is where a runner says what it does: `cockpit guard` prints it
// in its -o format, operate logs it (its header reads the journal).
type Output interface {
	Told(d Decision, verdict, line string)
	Plan(executor.Plan)
	Progress(executor.Progress)
	// Outcome is how the guard's rollback ended; the caller may add the
	// journal's fallback to its message.
	Outcome(*executor.Outcome)
}

// Metrics is where a runner exports its state each round
// (selfmetrics.Exporter). The rounds themselves are exported by the
// process's observer (factory.SelfMetrics): `cockpit guard`'s are its
// guard's, operate's are its screen's, beside which its guard runs.
type Metrics interface {
	Guard(phases []string, phase string, remaining time.Duration)
}

// Runner is one running guard: it observes every refresh, feeds the
// decision core, journals (and so notifies) each state once, reads the
// cancels journaled by `cockpit guard cancel` and operate's c, and runs the
// rollback the core decides on through Actor. `cockpit guard` and operate
// both run one, so the two act alike.
type Runner struct {
	Cfg *config.Config
	Env *config.Environment
	// Observe is one round of the engine.
	Observe func(context.Context) runbook.State
	Journal *journal.Journal
	Actor   Actor
	// Detach is the context the rollback runs on: only a second signal
	// cancels it (factory.RollbackContext).
	Detach         func(context.Context) context.Context
	ObserveTimeout time.Duration
	Out            Output
	Metrics        Metrics // nil: none

	core    *Guard
	cancels *journal.Tail
	// told is the last state journaled per criterion: a state is journaled
	// and notified once, when it is entered.
	told map[string]Phase
	last Decision
}

// Start readies the runner: its core, and the journal read past every
// cancel older than this guard.
func (g *Runner) Start() error {
	g.core = New(PolicyOf(g.Env.Guard))
	g.told = map[string]Phase{}
	g.cancels = journal.NewTail(g.Journal.Path())
	if _, err := g.cancels.Each(func(journal.Record) error { return nil }); err != nil {
		return fmt.Errorf("reading the journal for cancels: %w", err)
	}
	return nil
}

// Run journals the guard's start, runs a round every refresh until ctx
// ends, and journals its stop. A rollback it started runs to its end on
// the detached context before Run returns.
func (g *Runner) Run(ctx context.Context) {
	g.journal(Decision{}, VerdictStarted, "guard started: "+DescribePolicy(g.Env.Guard))
	tick := time.NewTicker(g.Cfg.Refresh.D())
	defer tick.Stop()
	for {
		g.round(ctx)
		select {
		case <-ctx.Done():
			g.journal(g.last, VerdictStopped, "guard stopped: "+context.Cause(ctx).Error())
			return
		case <-tick.C:
		}
	}
}

// round observes once, hands the round to the core and does what it
// decides.
func (g *Runner) round(ctx context.Context) {
	octx, cancel := context.WithTimeout(ctx, g.ObserveTimeout)
	st := g.Observe(octx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	g.readCancels()
	d := g.core.Observe(RoundOf(g.Cfg, g.Env, st))
	g.tell(d)
	if d.Act {
		g.act(ctx, d)
	}
}

// readCancels applies every cancel journaled since the last round and
// answers it.
func (g *Runner) readCancels() {
	recs, _, err := g.cancels.Next()
	if err != nil {
		slog.Warn("reading the journal for cancels", "err", err)
	}
	for _, r := range recs {
		if r.Kind != journal.KindGuard || r.Verdict != VerdictCancel || !r.Trusted() {
			continue
		}
		if ids := g.core.Cancel(r.Operator, r.Reason, r.Time); len(ids) == 0 {
			g.journal(g.last, VerdictCancelVoid, fmt.Sprintf("nothing to cancel for %s (%s): %s", r.Operator, r.Reason, g.last.Line()))
		}
	}
}

// tell journals and says a decision once, when its criterion enters its
// state; a countdown or a rollback is advised first.
func (g *Runner) tell(d Decision) {
	key := d.Criterion
	prev := g.told[key]
	if g.Metrics != nil {
		g.Metrics.Guard(PhaseNames(), d.Phase.String(), d.Remaining)
	}
	if g.last.Criterion != key || g.last.Phase != d.Phase {
		if (d.Phase == Countdown || d.Phase == Acting) && prev != Advised && prev != Countdown {
			adv := d
			adv.Phase = Advised
			g.journal(adv, Advised.String(), adv.Line())
		}
		g.journal(d, d.Phase.String(), d.Line())
		g.told[key] = d.Phase
	}
	g.last = d
}

// journal appends one guard record and says it.
func (g *Runner) journal(d Decision, verdict, line string) {
	err := g.Journal.Append(journal.Record{Kind: journal.KindGuard, PID: os.Getpid(), Check: d.Criterion, Verdict: verdict,
		Message: line, Reason: d.Reason, Evidence: d.Evidence})
	if err != nil {
		slog.Warn("journaling the guard", "err", err)
	}
	g.Out.Told(d, verdict, line)
}

// act runs the rollback the core decided on, unless ctx ended first:
// nothing starts after a signal. The rollback itself runs on the detached
// context, as a human's does; the lock decides between two guards, or a
// guard and a human.
func (g *Runner) act(ctx context.Context, d Decision) {
	plan, err := g.Actor.Plan(ctx, runbook.RollbackID)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("the guard is stopping (%v)", context.Cause(ctx))
	}
	if err != nil {
		g.finish(d, "rollback not started: "+err.Error())
		return
	}
	g.Out.Plan(plan)
	// A production guard's typed confirmation is its config's confirm_env.
	approval := executor.Approval{Operator: g.Cfg.Operator, Via: "guard", Evidence: d.Evidence, TypedEnv: g.Env.Guard.ConfirmEnv}
	outcome, err := g.Actor.Execute(g.Detach(ctx), plan, approval, g.Out.Progress)
	if err != nil {
		g.finish(d, "rollback not started: "+err.Error())
		return
	}
	g.Out.Outcome(&outcome)
	state := "rolled back by this guard: OK"
	if !outcome.OK {
		state = "rolled back by this guard, but " + strings.Join(outcome.Failed, ", ") + " failed or were not verified: check them by hand"
	}
	g.finish(d, state)
}

// finish tells the core how its rollback ended and journals it.
func (g *Runner) finish(d Decision, result string) {
	g.core.Finished(result)
	d.Phase, d.Reason, d.Act = Acted, result, false
	g.tell(d)
}

// DescribePolicy says what the guard will do, as its start is journaled.
func DescribePolicy(g config.Guard) string {
	what := map[config.GuardMode]string{config.GuardAdvise: "advise only", config.GuardAct: "roll back at once",
		config.GuardCountdown: "count down " + g.Countdown.String() + ", then roll back"}[g.Mode]
	return fmt.Sprintf("%s (%s) on %s", g.Mode, what, strings.Join(g.Criteria, ", "))
}

// PhaseNames are the guard's states, for the metric's one-hot family.
func PhaseNames() []string {
	var names []string
	for _, p := range Phases() {
		names = append(names, p.String())
	}
	return names
}
