package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/selfmetrics"
)

// The guard's own journal words (journal.KindGuard's Verdict) beside its
// phases: a process starting and stopping, a cancel asked for, and the
// answer to a cancel that found nothing live.
const (
	guardStarted    = "started"
	guardStopped    = "stopped"
	guardCancel     = "cancel"
	guardCancelVoid = "cancel-void"
)

// guardFlags are the guard's flags.
type guardFlags struct {
	config, env, output, metricsAddr string
}

func newGuardCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f guardFlags
	c := &cobra.Command{
		Use:   "guard --env E",
		Short: "Watch the incident criteria; advise, count down, then roll back on its own (the environment's guard:)",
		Long: "guard runs the engine's rounds and, for each incident criterion its config guards (guard.criteria):\n" +
			"advise: tells the team (journal, webhooks guard.advised) and does nothing; countdown: tells them, counts down\n" +
			"guard.countdown (cancel: `cockpit guard cancel` or c in operate), then runs the rollback with approval \"guard\"\n" +
			"through the executor, lock and journal a human's goes through, the incident's evidence in the approval; act: a\n" +
			"countdown of zero. It holds, and says why (guard.holding), while any input of the criterion is UNKNOWN or stale\n" +
			"or it is still pending; it waits for a human's running step; it acts at most once per incident, and never when\n" +
			"a rollback (a human's, another guard's) started since the incident began. SIGINT/SIGTERM stop it: no rollback\n" +
			"starts after the signal; one already running goes on to its end (a second signal aborts it).",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runGuard(ctx, s, &f) },
	}
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output: text or json (one JSON line per state change and rollback event)")
	c.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", "serve the cockpit's verdicts and the guard's state as Prometheus metrics at this address")
	c.AddCommand(newGuardCancelCmd(s))
	return c
}

// guardRun is one guard process: the acting door (engine, journal, lock,
// executor), the decision core, and what it last told.
type guardRun struct {
	cfg  *config.Config
	env  *config.Environment
	eng  *runbook.Engine
	j    *journal.Journal
	x    *executor.Executor
	core *guard.Guard
	out  *scripted.EventWriter
	// cancels reads the journal for cancel requests from other processes.
	cancels *journal.Tail
	metrics *selfmetrics.Exporter
	// told is the last state journaled per criterion ("" for none): a
	// state is journaled and notified once, when it is entered.
	told map[string]guard.Phase
	last guard.Decision
}

func runGuard(ctx context.Context, s *Streams, f *guardFlags) error {
	out, err := newEventWriter(s.Out, f.output)
	if err != nil {
		return err
	}
	// The guard acts only as a rollback does: the journal and the lock a
	// full state disk or a database outage cannot stop.
	fac := factory.New(s, f.config, f.env, factory.Rollback)
	defer fac.Close()
	x, j, err := openActing(fac)
	if err != nil {
		return err
	}
	cfg, _ := fac.Config()
	env, _ := fac.Environment()
	eng, _ := fac.Engine()
	g := &guardRun{cfg: cfg, env: env, eng: eng, j: j, x: x, core: guard.New(guard.PolicyOf(env.Guard)), out: out,
		cancels: journal.NewTail(j.Path()), told: map[string]guard.Phase{}}
	if _, err := g.cancels.Each(func(journal.Record) error { return nil }); err != nil {
		return withCode(exitActionFailed, fmt.Errorf("reading the journal for cancels: %w", err))
	}
	if f.metricsAddr != "" {
		g.metrics = selfmetrics.New(env.Name)
		bound, err := g.metrics.Serve(ctx, f.metricsAddr)
		if err != nil {
			return withCode(exitUsage, err)
		}
		fmt.Fprintf(s.ErrOut, "cockpit: serving metrics on http://%s/metrics\n", bound)
	}
	g.journal(guard.Decision{}, guardStarted, "guard started: "+describePolicy(env.Guard))
	tick := time.NewTicker(cfg.Refresh.D())
	defer tick.Stop()
	for {
		g.round(ctx)
		select {
		case <-ctx.Done():
			g.journal(g.last, guardStopped, "guard stopped: "+context.Cause(ctx).Error())
			return nil
		case <-tick.C:
		}
	}
}

// round observes once, hands the round to the core and does what it
// decides.
func (g *guardRun) round(ctx context.Context) {
	octx, cancel := context.WithTimeout(ctx, factory.ObserveTimeout(g.cfg))
	st := g.eng.Observe(octx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	if g.metrics != nil {
		g.metrics.Observe(st)
	}
	g.readCancels()
	d := g.core.Observe(guard.RoundOf(g.cfg, g.env, st))
	g.tell(d)
	if d.Act {
		g.act(ctx, d)
	}
}

// readCancels applies every cancel journaled since the last round (by
// `cockpit guard cancel` or a screen) and answers it.
func (g *guardRun) readCancels() {
	recs, _, err := g.cancels.Next()
	if err != nil {
		slog.Warn("reading the journal for cancels", "err", err)
	}
	for _, r := range recs {
		if r.Kind != journal.KindGuard || r.Verdict != guardCancel || !r.Trusted() {
			continue
		}
		if ids := g.core.Cancel(r.Operator, r.Reason, r.Time); len(ids) == 0 {
			g.journal(g.last, guardCancelVoid, fmt.Sprintf("nothing to cancel for %s (%s): %s", r.Operator, r.Reason, g.last.Line()))
		}
	}
}

// tell journals (and so notifies) and prints a decision once, when its
// criterion enters its state; a countdown or a rollback is advised first.
func (g *guardRun) tell(d guard.Decision) {
	key := d.Criterion
	prev := g.told[key]
	if g.metrics != nil {
		g.metrics.Guard(phaseNames(), d.Phase.String(), d.Remaining)
	}
	if g.last.Criterion != key || g.last.Phase != d.Phase {
		if (d.Phase == guard.Countdown || d.Phase == guard.Acting) && prev != guard.Advised && prev != guard.Countdown {
			adv := d
			adv.Phase = guard.Advised
			g.journal(adv, guard.Advised.String(), adv.Line())
		}
		g.journal(d, d.Phase.String(), d.Line())
		g.told[key] = d.Phase
	}
	g.last = d
}

// journal appends one guard record and prints it.
func (g *guardRun) journal(d guard.Decision, verdict, line string) {
	err := g.j.Append(journal.Record{Kind: journal.KindGuard, PID: os.Getpid(), Check: d.Criterion, Verdict: verdict,
		Message: line, Reason: d.Reason, Evidence: d.Evidence})
	if err != nil {
		slog.Warn("journaling the guard", "err", err)
	}
	type guardJSON struct {
		State     string `json:"state"`
		Criterion string `json:"criterion,omitempty"`
		Line      string `json:"line"`
		Reason    string `json:"reason,omitempty"`
		Remaining int    `json:"remaining_seconds,omitempty"`
	}
	now := time.Now().UTC().Format("15:04:05")
	g.out.Emit(g.out.W, "guard", guardJSON{verdict, d.Criterion, line, d.Reason, d.RemainingSeconds()}, now+" guard "+verdict+": "+line)
}

// act runs the rollback the core decided on, unless a signal came first:
// nothing starts after one. The rollback itself runs on the context only
// a second signal cancels, as a human's does.
func (g *guardRun) act(ctx context.Context, d guard.Decision) {
	plan, err := g.x.Plan(ctx, runbook.RollbackID)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("the guard is stopping (%v)", context.Cause(ctx))
	}
	if err != nil {
		g.finish(d, "rollback not started: "+err.Error())
		return
	}
	g.out.Plan(plan)
	// A production guard's typed confirmation is its config's confirm_env.
	approval := executor.Approval{Operator: g.cfg.Operator, Via: "guard", Evidence: d.Evidence, TypedEnv: g.env.Guard.ConfirmEnv}
	outcome, err := g.x.Execute(factory.RollbackContext(ctx), plan, approval, g.out.Progress)
	if err != nil {
		g.finish(d, "rollback not started: "+err.Error())
		return
	}
	_ = executor.Journaled(g.j, &outcome, true)
	g.out.Outcome(outcome)
	state := "rolled back by this guard: OK"
	if !outcome.OK {
		state = "rolled back by this guard, but " + strings.Join(outcome.Failed, ", ") + " failed or were not verified: check them by hand"
	}
	g.finish(d, state)
}

// finish tells the core how its rollback ended and journals it.
func (g *guardRun) finish(d guard.Decision, result string) {
	g.core.Finished(result)
	d.Phase, d.Reason, d.Act = guard.Acted, result, false
	g.tell(d)
}

// describePolicy says what the guard will do, as its start is journaled.
func describePolicy(g config.Guard) string {
	what := map[config.GuardMode]string{config.GuardAdvise: "advise only", config.GuardAct: "roll back at once",
		config.GuardCountdown: "count down " + g.Countdown.String() + ", then roll back"}[g.Mode]
	return fmt.Sprintf("%s (%s) on %s", g.Mode, what, strings.Join(g.Criteria, ", "))
}

// phaseNames are the guard's states, for the metric's one-hot family.
func phaseNames() []string {
	var names []string
	for _, p := range guard.Phases() {
		names = append(names, p.String())
	}
	return names
}
