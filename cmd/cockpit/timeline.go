package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

func newTimelineCmd(s *Streams) *cobra.Command {
	var cfgPath, env, output string
	c := &cobra.Command{
		Use:   "timeline --env E [-o text|markdown|json]",
		Short: "Print the environment's journal as a timeline",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if !slices.Contains([]string{runbook.TimelineText, runbook.TimelineMarkdown, runbook.TimelineJSON}, output) {
				return usageError("-o %q: want text, markdown or json", output)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			name, err := timelineEnv(cfg, env)
			if err != nil {
				return err
			}
			// The same incremental reader the screen uses: a torn or
			// corrupt line is named on stderr and skipped, never fatal.
			tail := journal.NewTail(journal.Path(cfg.StateDir, name))
			all, _, err := tail.Next()
			var corrupt *journal.CorruptError
			if errors.As(err, &corrupt) {
				fmt.Fprintln(s.ErrOut, "cockpit:", err)
			} else if err != nil {
				return withCode(exitUsage, err)
			}
			if n := tail.Pending(); n > 0 {
				fmt.Fprintf(s.ErrOut, "cockpit: %s: last line unfinished (%d bytes, a process killed mid-write?): skipped\n", tail.Path(), n)
			}
			var repeats runbook.ProbeRepeats
			recs := all[:0]
			for _, r := range all {
				if !repeats.Repeat(r) { // a probe answer journaled again unchanged
					recs = append(recs, r)
				}
			}
			return runbook.RenderTimeline(s.Out, name, recs, output)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&output, "output", "o", runbook.TimelineText, "output: text, markdown or json")
	return c
}

func timelineEnv(cfg *config.Config, env string) (string, error) {
	if env != "" {
		if _, ok := cfg.Environments[env]; !ok {
			return "", usageError("environment %q is not in %s", env, cfg.Path)
		}
		return env, nil
	}
	if len(cfg.Environments) == 1 {
		for name := range cfg.Environments {
			return name, nil
		}
	}
	return "", usageError("--env is required: %s has %d environments", cfg.Path, len(cfg.Environments))
}
