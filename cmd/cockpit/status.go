package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

func newStatusCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f readFlags
	c := &cobra.Command{
		Use:   "status --env E [-o text|json]",
		Short: "Print where the cutover stands, read from the systems themselves",
		Long: "status observes the environment once: the Rust write mode (/healthz), the legacy freeze\n" +
			"(the safe signed probe), where writes go and the cohort (Prometheus), and every incident criterion.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runStatus(ctx, s, &f) },
	}
	f.register(c)
	return c
}

func runStatus(ctx context.Context, s *Streams, f *readFlags) error {
	write, err := formatter(scripted.StatusFormats, f.output)
	if err != nil {
		return err
	}
	fac, e, err := openEngine(s, f)
	if err != nil {
		return err
	}
	defer fac.Close()
	timeline := make(chan sharedlog.Publishable, 1)
	go func() { timeline <- sharedlog.CheckPublishable(ctx, runbook.SharedTimelineURL(e.Env())) }()
	st := e.Observe(ctx)
	rep := scripted.Status(st, <-timeline)
	rep.Guard = guardStatusOf(e.Config(), e.Env(), st.At)
	if err := write(s.Out, painter(s), rep); err != nil {
		return err
	}
	// Automation must not read an unknown position as a known one: exit 2
	// (hold) after printing, as check does for unknown data.
	if rep.Unknown() {
		return silentExit(exitUnknown)
	}
	return nil
}
