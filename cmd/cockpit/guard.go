package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output/scripted"
)

// The guard's own journal words (journal.KindGuard's Verdict) beside its
// phases: a process starting and stopping, a cancel asked for, and the
// answer to a cancel that found nothing live.
const (
	guardStarted    = guard.VerdictStarted
	guardStopped    = guard.VerdictStopped
	guardCancel     = guard.VerdictCancel
	guardCancelVoid = guard.VerdictCancelVoid
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

// runGuard is the guard process: the runner both it and operate run, with
// the acting door a rollback has (a journal and lock a full state disk or a
// database outage cannot stop), printing in the -o format.
func runGuard(ctx context.Context, s *Streams, f *guardFlags) error {
	out, err := newEventWriter(s.Out, f.output)
	if err != nil {
		return err
	}
	fac := factory.New(s, f.config, f.env, factory.Rollback)
	fac.Process = "guard" // its rounds are recorded as the guard's
	defer fac.Close()
	r, err := guardRunner(fac)
	if err != nil {
		return err
	}
	recorded, err := fac.RecordedEngine() // operate records its screen's rounds, not its guard's
	if err != nil {
		return withCode(exitUsage, err)
	}
	observed, _, bound, err := fac.SelfMetrics(ctx, f.metricsAddr, recorded, nil)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("--metrics-addr: %w", err))
	}
	if bound != "" {
		fmt.Fprintf(s.ErrOut, "cockpit: serving metrics on http://%s/metrics\n", bound)
	}
	r.Observe, r.Out, r.Metrics = observed.Observe, guardPrinter{out, r.Journal}, guardMetrics(fac)
	r.Run(ctx)
	return nil
}

// guardMetrics is where a guard exports its state: the metrics its
// process serves (--metrics-addr of `cockpit guard`, or of the operate
// screen it runs beside), nil when it serves none.
func guardMetrics(fac *factory.Factory) guard.Metrics {
	if x := fac.Exporter(); x != nil {
		return x
	}
	return nil
}

// guardRunner is the guard runner on the factory's acting door (its
// executor, lock and journal), its Out left to the caller; `cockpit guard`
// and operate build theirs here.
func guardRunner(fac *factory.Factory) (*guard.Runner, error) {
	x, j, err := openActing(fac)
	if err != nil {
		return nil, err
	}
	cfg, _ := fac.Config()
	env, _ := fac.Environment()
	eng, err := fac.Engine()
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	r := &guard.Runner{Cfg: cfg, Env: env, Observe: eng.Observe, Journal: j, Actor: x, Detach: factory.RollbackContext,
		ObserveTimeout: factory.ObserveTimeout(cfg)}
	if err := r.Start(); err != nil {
		return nil, withCode(exitActionFailed, fmt.Errorf("the guard (guard: of %s): %w", env.Name, err))
	}
	return r, nil
}

// guardPrinter prints what the guard runner says in the -o format.
type guardPrinter struct {
	out *scripted.EventWriter
	j   *journal.Journal
}

func (p guardPrinter) Told(d guard.Decision, verdict, line string) {
	type guardJSON struct {
		State     string `json:"state"`
		Criterion string `json:"criterion,omitempty"`
		Line      string `json:"line"`
		Reason    string `json:"reason,omitempty"`
		Remaining int    `json:"remaining_seconds,omitempty"`
	}
	now := time.Now().UTC().Format("15:04:05")
	p.out.Emit(p.out.W, "guard", guardJSON{verdict, d.Criterion, line, d.Reason, d.RemainingSeconds()}, now+" guard "+verdict+": "+line)
}

func (p guardPrinter) Plan(plan executor.Plan)       { p.out.Plan(plan) }
func (p guardPrinter) Progress(pr executor.Progress) { p.out.Progress(pr) }

func (p guardPrinter) Outcome(o *executor.Outcome) {
	_ = executor.Journaled(p.j, o, true) // a rollback's: the fallback named
	p.out.Outcome(*o)
}
