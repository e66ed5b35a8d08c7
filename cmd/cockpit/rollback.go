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
			"A first SIGINT/SIGTERM/SIGHUP does not stop it (a dropped terminal must not leave the cutover half rolled back);\n" +
			"a second one does. A forward step holding the lock is preempted: it stops at its next safe point.\n" +
			"Exit codes: 6 the rollback ran and R1–R4 were verified, 5 an R-step failed or was not verified (named) or it\n" +
			"could not start, 3 not approved.",
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
	_, outcome, err := planAndExecute(rollbackContext(ctx), s, f, runbook.RollbackID, true)
	if err != nil {
		return err
	}
	if !outcome.OK {
		return withCode(exitActionFailed, fmt.Errorf("the rollback ran to its end but %s failed or were not verified: check them by hand",
			strings.Join(outcome.Failed, ", ")))
	}
	return silentExit(exitRolledBack)
}
