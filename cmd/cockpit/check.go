package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
)

// readFlags are the flags of the read-only verbs (check, status, preflight).
type readFlags struct {
	config, env, output string
}

func (f *readFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output: text or json")
	completeConfigFlags(c)
}

// observeOnce is how check starts: build the engine and observe one round
// (status builds its engine itself, to ask about the shared timeline beside
// the round). A signal (the program's context cancelled) ends it at once
// with a message and exit 2, whatever the round is still waiting on: a
// round cut short verified nothing, so no report of it is printed.
func observeOnce(ctx context.Context, s *Streams, f *readFlags) (runbook.State, error) {
	fac, e, err := openEngine(s, f)
	if err != nil {
		return runbook.State{}, err
	}
	defer fac.Close()
	done := make(chan runbook.State, 1)
	go func() { done <- e.Observe(ctx) }()
	select {
	case st := <-done:
		if ctx.Err() == nil {
			fac.RecordRound(st)
			return st, nil
		}
	case <-ctx.Done():
	}
	return runbook.State{}, withCode(exitUnknown, fmt.Errorf("interrupted (%v): nothing was verified, hold", context.Cause(ctx)))
}

// openEngine asks the factory for a read-only engine: no executor, no
// actuator, no lock exists in a process that only reads (factory.Read).
// Close the factory when done.
func openEngine(s *Streams, f *readFlags) (*factory.Factory, *runbook.Engine, error) {
	fac := factory.New(s, f.config, f.env, factory.Read)
	e, err := fac.Engine()
	if err != nil {
		fac.Close()
		return nil, nil, withCode(exitUsage, err)
	}
	return fac, e, nil
}

func newCheckCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f readFlags
	c := &cobra.Command{
		Use:   "check preconditions|verify|incidents|all --env E [-o text|json]",
		Short: "Evaluate runbook checks once and exit with their verdict",
		Long: "check observes the environment once and prints one line per check:\n" +
			"preconditions (P1–P4), verify (V1–V4, the safe probes only: nothing is written),\n" +
			"incidents (the configured criteria I1–I3) or all of them.\n" +
			"Exit codes: 0 every check PASS (or WARN), 1 a check FAILED or an incident fires,\n" +
			"2 a check is UNKNOWN, PENDING or stale and none failed (hold), 4 usage or config error.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("check needs what to check: preconditions, verify, incidents or all")
			}
			return nil
		},
		ValidArgs: []string{"preconditions", "verify", "incidents", "all"},
		RunE: func(_ *cobra.Command, args []string) error {
			return runCheck(ctx, s, &f, args[0])
		},
	}
	f.register(c)
	return c
}

func runCheck(ctx context.Context, s *Streams, f *readFlags, set string) error {
	var kinds []runbook.Kind
	switch set {
	case "preconditions":
		kinds = []runbook.Kind{runbook.Precondition}
	case "verify":
		kinds = []runbook.Kind{runbook.Verification}
	case "incidents":
		kinds = []runbook.Kind{runbook.Incident}
	case "all":
		kinds = []runbook.Kind{runbook.Precondition, runbook.Verification, runbook.Incident}
	default:
		return usageError("check %q: want preconditions, verify, incidents or all", set)
	}
	write, err := formatter(scripted.CheckFormats, f.output)
	if err != nil {
		return err
	}
	st, err := observeOnce(ctx, s, f)
	if err != nil {
		return err
	}
	rep, vs := scripted.Check(st, kinds)
	if err := write(s.Out, painter(s), rep); err != nil {
		return err
	}
	return exitFor(vs)
}

// exitFor is the documented exit code of a set of verdicts. WARN does not
// hold: a warning threshold informs, the critical one decides.
func exitFor(vs []checks.Verdict) error {
	hold := len(vs) == 0
	for _, v := range vs {
		switch v {
		case checks.Fail:
			return silentExit(exitCheckFailed)
		case checks.Unknown, checks.Pending:
			hold = true
		}
	}
	if hold {
		return silentExit(exitUnknown)
	}
	return nil
}

// formatter is the verb's formatter for -o name; a name that is no format
// (or one this verb does not print) is a usage error, exit 4, its line the
// same in every verb (output.Registry.Get).
func formatter[F any](r output.Registry[F], name string) (F, error) {
	f, err := r.Get(name)
	if err != nil {
		return f, withCode(exitUsage, err)
	}
	return f, nil
}

// painter colours verdicts for the terminal s writes to, in the screen's
// colours (output.ToneOf); pipes, NO_COLOR and TERM=dumb get plain text.
func painter(s *Streams) output.Painter { return output.NewPainter(s.IsTTY, os.Getenv) }
