package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/output/scripted"
)

func newPreflightCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f readFlags
	c := &cobra.Command{
		Use:   "preflight --env E [-o text|json]",
		Short: "Try every configured query once: its metrics exist, it parses, returns data, one series where one is expected",
		Long: "preflight runs before a cutover window. Every metric a query names must have had a series in the last 24h " +
			"(a fallback such as `or vector(0)` cannot hide a metric that was never exported); a selector that matches " +
			"nothing yet while its metric exists is a warning. Exit codes: 0 every query is usable (warnings included), " +
			"1 a query has a problem, 4 usage or config error.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runPreflight(ctx, s, &f) },
	}
	f.register(c)
	return c
}

func runPreflight(ctx context.Context, s *Streams, f *readFlags) error {
	write, err := formatter(scripted.PreflightFormats, f.output)
	if err != nil {
		return err
	}
	fac := factory.New(s, f.config, f.env, factory.Read)
	env, err := fac.Environment()
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg, _ := fac.Config()
	api, err := metrics.NewAPI(env.Prometheus, metrics.WithMaxResponseBytes(cfg.MaxResponseBytes))
	if err != nil {
		return withCode(exitUsage, err)
	}
	// A Prometheus that accepts and never answers must not hang preflight:
	// the whole run has one deadline, and what it cut off is said once.
	deadline := metrics.PreflightDeadline(cfg.QueryTimeout.D(), metrics.PreflightQueries(env.Signals))
	runCtx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	rep := scripted.Preflight(env.Name, env.Prometheus.URL, metrics.Preflight(runCtx, api, env.Signals), deadline)
	if err := write(s.Out, painter(s), rep); err != nil {
		return err
	}
	if !rep.OK {
		return silentExit(exitCheckFailed)
	}
	return nil
}
