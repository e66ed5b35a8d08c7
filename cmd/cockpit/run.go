package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output/scripted"
)

// actingFlags are the flags every acting verb shares.
type actingFlags struct {
	config, env, output string
	approve             []string
	overrideReason      string
	confirmEnv          string
}

func (f *actingFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output: text or json (one JSON line per event)")
	c.Flags().StringSliceVar(&f.approve, "approve", nil, "approve these actions by name (S1,V1 or rollback); nothing else runs")
	c.Flags().StringVar(&f.confirmEnv, "confirm-env", "", "type the environment's name: production needs it")
	completeConfigFlags(c)
}

func newRunCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f actingFlags
	c := &cobra.Command{
		Use:   "run STEP --env E --approve STEP[,STEP…]",
		Short: "Run one runbook item (S1–S4, V1–V4, P1–P4) through the executor",
		Long: "run plans STEP, shows its exact calls and live gates, and runs it only when --approve names it.\n" +
			"Gates that are not green need --override-reason; production needs --confirm-env production.\n" +
			"Exit codes: 0 done, 1 a check failed, 2 unknown, 3 needs approval, 4 usage, 5 action failed.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("run needs one STEP: S1–S4, V1–V4 or P1–P4 (rollback has its own verb), e.g. cockpit run S1 --approve S1")
			}
			return nil
		},
		ValidArgsFunction: completeStep,
		RunE: func(_ *cobra.Command, args []string) error {
			return runStep(ctx, s, &f, args[0])
		},
	}
	f.register(c)
	_ = c.RegisterFlagCompletionFunc("approve", completeApprove(runnableSteps()...))
	c.Flags().StringVar(&f.overrideReason, "override-reason", "", "run although gates are not green; the reason is journaled")
	return c
}

func runStep(ctx context.Context, s *Streams, f *actingFlags, step string) error {
	id := strings.ToUpper(strings.TrimSpace(step))
	if !isRunnable(id) {
		return usageError("%q is not a runbook item to run (S1–S4, V1–V4, P1–P4; rollback has its own verb)", step)
	}
	if _, err := formatter(scripted.EventFormats, f.output); err != nil {
		return err
	}
	if !approved(f.approve, id) {
		return withCode(exitNeedsApproval, fmt.Errorf("%s needs --approve %s: nothing changed", id, id))
	}
	plan, outcome, err := planAndExecute(ctx, s, f, id, false)
	if err != nil {
		return err
	}
	return stepExit(plan.Writes, outcome)
}

// stepExit is how a step that ran to its end exits: a writing step by
// whether it was done (0) or not (5), a check by its verdict (0 PASS or
// WARN, 1 FAIL, 2 anything else: hold).
func stepExit(writes bool, outcome executor.Outcome) error {
	switch {
	case writes && !outcome.OK:
		return silentExit(exitActionFailed)
	case writes, outcome.Verdict == checks.Pass, outcome.Verdict == checks.Warn:
		return nil
	case outcome.Verdict == checks.Fail:
		return silentExit(exitCheckFailed)
	default:
		return silentExit(exitUnknown)
	}
}

// planAndExecute is what both acting verbs do: open the executor, show the
// plan (exact calls, live gates), execute it and print its events.
func planAndExecute(ctx context.Context, s *Streams, f *actingFlags, id string, rollback bool) (executor.Plan, executor.Outcome, error) {
	out, err := newEventWriter(s.Out, f.output)
	if err != nil {
		return executor.Plan{}, executor.Outcome{}, err
	}
	mode := factory.Act
	if rollback {
		mode = factory.Rollback
	}
	fac := factory.New(s, f.config, f.env, mode)
	defer fac.Close()
	x, j, err := openActing(fac)
	if err != nil {
		return executor.Plan{}, executor.Outcome{}, err
	}
	plan, err := x.Plan(ctx, id)
	if err != nil {
		return plan, executor.Outcome{}, withCode(exitUsage, err)
	}
	out.Plan(plan)
	cfg, _ := fac.Config()
	outcome, err := x.Execute(ctx, plan, approval(cfg.Operator, f), out.Progress)
	if err != nil {
		return plan, outcome, actingError(err)
	}
	jerr := executor.Journaled(j, &outcome, rollback)
	if jerr != nil {
		jerr = withCode(exitActionFailed, jerr)
	}
	out.Outcome(outcome)
	return plan, outcome, jerr
}

// openActing asks the factory for the executor and its journal: a config
// or environment that does not serve is a usage error, a journal a
// forward step cannot open an action that failed (a rollback's never
// fails to open: its records then go to stderr and a fallback file, named).
func openActing(fac *factory.Factory) (*executor.Executor, *journal.Journal, error) {
	if _, err := fac.Environment(); err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	j, err := fac.Journal()
	if err != nil {
		return nil, nil, withCode(exitActionFailed, err)
	}
	x, err := fac.Executor()
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	return x, j, nil
}

func isRunnable(id string) bool {
	return len(id) == 2 && strings.ContainsRune("SVP", rune(id[0])) && id[1] >= '1' && id[1] <= '4'
}

func approved(list []string, id string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(strings.TrimSpace(a), id) })
}

// actingError maps the executor's refusals to exit codes: a missing
// approval or override is 3, a busy lock or anything else that kept the
// action from starting is 5.
func actingError(err error) error {
	var refused *executor.RefusedError
	if errors.As(err, &refused) {
		return withCode(exitNeedsApproval, err)
	}
	return withCode(exitActionFailed, err)
}

// approval is what the command line approved, and who.
func approval(operator string, f *actingFlags) executor.Approval {
	return executor.Approval{Operator: operator, TypedEnv: f.confirmEnv, OverrideReason: f.overrideReason,
		Via: "cli --approve " + strings.Join(f.approve, ",")}
}

// newEventWriter prints an action's events in the -o format (run,
// rollback, guard).
func newEventWriter(w io.Writer, format string) (*scripted.EventWriter, error) {
	emit, err := formatter(scripted.EventFormats, format)
	if err != nil {
		return nil, err
	}
	return &scripted.EventWriter{W: w, Emit: emit}, nil
}
