package main

import (
	"context"

	"github.com/spf13/cobra"
)

func newRootCmd(ctx context.Context, s *Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "cockpit",
		Short:         "Terminal cockpit for the Rust runtime authority cutover",
		Long:          "cockpit runs the rust-runtime-authority-cutover runbook: live panes, confirm-gated actions,\na read-only watch mode, a scripted mode for automation and a built-in rehearsal world.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(
		newRehearseCmd(ctx, s),
		newRunCmd(ctx, s),
		newRollbackCmd(ctx, s),
		newTimelineCmd(ctx, s),
		newCheckCmd(ctx, s),
		newStatusCmd(ctx, s),
		newPreflightCmd(ctx, s),
		newConfigCmd(s),
		newOperateCmd(ctx, s),
		newWatchCmd(ctx, s),
		newReplayCmd(ctx, s),
		newKeyCmd(s),
		newGuardCmd(ctx, s),
		newExportCmd(s),
		newReportCmd(ctx, s),
	)
	return root
}
