package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/runbook"
)

func newRollbackCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f actingFlags
	c := &cobra.Command{
		Use:   "rollback --env E --approve rollback",
		Short: "Roll back (R1–R4): freeze rust, unfreeze legacy, route writes to legacy, collect artifacts",
		Long: "rollback runs R1, R2 and R3 each to its end even when one fails, then always collects artifacts (R4).\n" +
			"Exit codes: 6 the rollback ran (failed R-steps are named), 3 not approved, 5 it could not start.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runRollback(ctx, s, &f) },
	}
	f.register(c)
	return c
}

func runRollback(ctx context.Context, s *Streams, f *actingFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageError("-o %q: want text or json", f.output)
	}
	if !approved(f.approve, runbook.RollbackID) {
		return withCode(exitNeedsApproval, fmt.Errorf("rollback needs --approve rollback: nothing changed"))
	}
	_, outcome, err := planAndExecute(ctx, s, f, runbook.RollbackID, true)
	if err != nil {
		return err
	}
	if !outcome.OK {
		fmt.Fprintf(s.ErrOut, "cockpit: rolled back with failed step(s) %s: check them by hand\n", strings.Join(outcome.Failed, ", "))
	}
	return silentExit(exitRolledBack)
}
