package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
)

func newRollbackCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f actingFlags
	c := &cobra.Command{
		Use:   "rollback --env E --approve rollback",
		Short: "Roll back (R1–R4): freeze rust, unfreeze legacy, route writes to legacy, collect artifacts",
		Long: "rollback acts R1, R2 and R3 in order, each to its end even when one fails, without waiting on one's verification\n" +
			"to act on the next (a failed R-step is observed in the background), then always collects artifacts (R4). A final\n" +
			"observation after R4 decides: Rust frozen, legacy accepting, writes → legacy; an R-step a late change undid is\n" +
			"re-applied (twice at most) and said. A first SIGINT/SIGTERM/SIGHUP does not stop it (a dropped terminal must not\n" +
			"leave the cutover half rolled back); a second one does.\n" +
			"A forward step holding the lock is asked to stop and waited for (30s at most; its session is then ended); a holder\n" +
			"that is not a cockpit, or is silent for 10s (a suspended laptop), is ended, or bypassed when ending it is refused,\n" +
			"which is said and journaled. Only a live rollback holds another off. After taking the lock from a forward step the\n" +
			"final observation watches min(verify_timeout, 1m) for a change that step's actuator may still land.\n" +
			"Exit codes: 6 the rollback ran and the final observation verified R1–R3 (and R4 collected), 5 an R-step failed or\n" +
			"was not verified (named) or it could not start, 3 not approved.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runRollback(ctx, s, &f) },
	}
	f.register(c)
	_ = c.RegisterFlagCompletionFunc("approve", completeApprove(runbook.RollbackID))
	return c
}

func runRollback(ctx context.Context, s *Streams, f *actingFlags) error {
	if _, err := formatter(scripted.EventFormats, f.output); err != nil {
		return err
	}
	if !approved(f.approve, runbook.RollbackID) {
		return withCode(exitNeedsApproval, fmt.Errorf("rollback needs --approve rollback: nothing changed"))
	}
	_, outcome, err := planAndExecute(factory.RollbackContext(ctx), s, f, runbook.RollbackID, true)
	if err != nil {
		return err
	}
	if !outcome.OK {
		return withCode(exitActionFailed, fmt.Errorf("the rollback ran to its end but %s failed or were not verified: check them by hand",
			strings.Join(outcome.Failed, ", ")))
	}
	return silentExit(exitRolledBack)
}
