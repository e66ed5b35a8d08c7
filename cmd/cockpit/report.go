package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/report"
)

// reportFlags are the flags of cockpit report.
type reportFlags struct {
	config, env, from, to, out string
}

func newReportCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f reportFlags
	c := &cobra.Command{
		Use:   "report --env E [--from T] [--to T] --out DIR",
		Short: "Write the post-mortem of a window: DIR/report.md and a chart per signal (DIR/charts/*.svg)",
		Long: "report reads the environment's journal and recording (what every observing cockpit saw, round by round)\n" +
			"and writes DIR/report.md (what ran, who approved, overrides and their reasons, incidents and how long\n" +
			"they fired, the rollback and how long it took, each incident with its evidence, the timeline) and\n" +
			"DIR/charts/<signal>.svg (the values, the warn and crit lines, the actions on the time axis).\n" +
			"--from and --to take 2026-12-07T13:42:10Z, \"2026-12-07 13:42\" (UTC), 13:42 (today, UTC) or an age (2h).",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return writeReport(ctx, s, &f) },
	}
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVar(&f.from, "from", "", "the window's start (default: the oldest record or round)")
	c.Flags().StringVar(&f.to, "to", "", "the window's end (default: now)")
	c.Flags().StringVar(&f.out, "out", "", "directory to write report.md and charts/ into (required)")
	return c
}

func writeReport(ctx context.Context, s *Streams, f *reportFlags) error {
	if f.out == "" {
		return usageError("report needs --out DIR: where report.md and charts/ go")
	}
	fac := factory.New(s, f.config, f.env, factory.Read)
	defer fac.Close()
	cfg, err := fac.Config()
	if err != nil {
		return withCode(exitUsage, err)
	}
	env, err := fac.Environment()
	if err != nil {
		return withCode(exitUsage, err)
	}
	now := time.Now()
	o := report.Options{Config: cfg, Env: env, Out: f.out, To: now}
	for _, t := range []struct {
		flag, value string
		into        *time.Time
	}{{"--from", f.from, &o.From}, {"--to", f.to, &o.To}} {
		if t.value == "" {
			continue
		}
		if *t.into, err = recording.ParseTime(t.value, now); err != nil {
			return usageError("%s: %v", t.flag, err)
		}
	}
	if !o.From.IsZero() && o.To.Before(o.From) {
		return usageError("--to %s is before --from %s", o.To.UTC().Format(time.RFC3339), o.From.UTC().Format(time.RFC3339))
	}
	res, err := report.Write(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "%s: %d recorded rounds, %d charts\n", res.Path, res.Rounds, len(res.Charts))
	for _, n := range res.Notes {
		fmt.Fprintf(s.ErrOut, "report: %s\n", n)
	}
	return nil
}
