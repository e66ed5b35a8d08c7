package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/output"
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

// preflightReport is what preflight found: -o json prints it as it is.
type preflightReport struct {
	Env     string                    `json:"env"`
	OK      bool                      `json:"ok"`
	Error   string                    `json:"error,omitempty"`
	Queries []metrics.PreflightResult `json:"queries"`

	problems, warnings int
}

// preflightFormats are what preflight prints, by -o.
var preflightFormats = output.Registry[func(*Streams, preflightReport) error]{
	output.Text: writePreflightText,
	output.JSON: func(s *Streams, rep preflightReport) error { return output.WriteJSON(s.Out, rep) },
}

func runPreflight(ctx context.Context, s *Streams, f *readFlags) error {
	write, err := formatter(preflightFormats, f.output)
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
	deadline := metrics.PreflightDeadline(cfg.QueryTimeout.D(), countQueries(env.Signals))
	runCtx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	rep := preflightReport{Env: env.Name, Queries: metrics.Preflight(runCtx, api, env.Signals)}
	unanswered := 0
	for _, r := range rep.Queries {
		switch {
		case r.Unanswered:
			unanswered++
			rep.problems++
		case !r.OK:
			rep.problems++
		case len(r.Warnings) > 0:
			rep.warnings++
		}
	}
	if unanswered > 0 {
		rep.Error = fmt.Sprintf("Prometheus at %s did not answer %d of %d queries within %s (the preflight deadline): is it up and reachable, and is prometheus.url its API's base URL?",
			env.Prometheus.URL, unanswered, len(rep.Queries), deadline)
	}
	rep.OK = rep.problems == 0
	if err := write(s, rep); err != nil {
		return err
	}
	if rep.problems > 0 {
		return silentExit(exitCheckFailed)
	}
	return nil
}

// writePreflightText prints one line per query (an unanswered one is said
// once, at the end), then the counts.
func writePreflightText(s *Streams, rep preflightReport) error {
	for _, r := range rep.Queries {
		if r.Unanswered {
			continue // said once, below
		}
		word, v := "OK", okVerdict(r.OK)
		detail := fmt.Sprintf("%d series", r.Series)
		switch {
		case r.OK && r.Note != "":
			detail = r.Note
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
	if rep.Error != "" {
		fmt.Fprintf(s.Out, "%s %s\n", paint(s.IsTTY, fmt.Sprintf("%-7s", "PROBLEM"), checks.Unknown), rep.Error)
	}
	fmt.Fprintf(s.Out, "%s: %d queries, %d with a problem, %d with a warning\n", rep.Env, len(rep.Queries), rep.problems, rep.warnings)
	return nil
}

// countQueries is how many queries preflight tries: each signal's query and
// volume query.
func countQueries(signals map[string]*config.Signal) int {
	n := 0
	for _, sig := range signals {
		n++
		if sig.VolumeQuery != "" {
			n++
		}
	}
	return n
}
