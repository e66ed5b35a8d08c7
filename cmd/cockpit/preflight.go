package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
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
	if err := f.validOutput(); err != nil {
		return err
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return withCode(exitUsage, err)
	}
	env, err := runbook.PickEnvironment(cfg, f.env)
	if err != nil {
		return withCode(exitUsage, err)
	}
	api, err := metrics.NewAPI(env.Prometheus)
	if err != nil {
		return withCode(exitUsage, err)
	}
	results := metrics.Preflight(ctx, api, env.Signals)
	problems, warnings := 0, 0
	for _, r := range results {
		switch {
		case !r.OK:
			problems++
		case len(r.Warnings) > 0:
			warnings++
		}
	}
	if f.output == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Env     string                    `json:"env"`
			OK      bool                      `json:"ok"`
			Queries []metrics.PreflightResult `json:"queries"`
		}{env.Name, problems == 0, results}); err != nil {
			return fmt.Errorf("writing preflight: %w", err)
		}
	} else {
		for _, r := range results {
			word, v := "OK", okVerdict(r.OK)
			detail := fmt.Sprintf("%d series", r.Series)
			switch {
			case !r.OK:
				word, detail = "PROBLEM", r.Problem
			case len(r.Warnings) > 0:
				word, v, detail = "WARN", checks.Warn, detail+"; "+strings.Join(r.Warnings, "; ")
			}
			name := r.Signal
			if r.Kind == "volume_query" {
				name += " (volume)"
			}
			fmt.Fprintf(s.Out, "%s %s — %s — %s\n", paint(s.IsTTY, fmt.Sprintf("%-7s", word), v), name, detail, r.Query)
		}
		fmt.Fprintf(s.Out, "%s: %d queries, %d with a problem, %d with a warning\n", env.Name, len(results), problems, warnings)
	}
	if problems > 0 {
		return silentExit(exitCheckFailed)
	}
	return nil
}
