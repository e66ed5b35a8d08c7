package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

func newTimelineCmd(ctx context.Context, s *Streams) *cobra.Command {
	var cfgPath, env, output string
	c := &cobra.Command{
		Use:   "timeline --env E [-o text|markdown|json]",
		Short: "Print the environment's journal as a timeline",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if !slices.Contains([]string{runbook.TimelineText, runbook.TimelineMarkdown, runbook.TimelineJSON}, output) {
				return usageError("-o %q: want text, markdown or json", output)
			}
			cfg, err := loadConfig(s, cfgPath)
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
			if shared, ok := sharedTimeline(ctx, s, cfg, name); ok {
				// Every machine's records, and this machine's not yet
				// published (the database was away when they were written).
				all = mergeTimelines(shared, all)
			}
			return runbook.RenderTimeline(s.Out, name, dropProbeRepeats(all), output)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&output, "output", "o", runbook.TimelineText, "output: text, markdown or json")
	c.AddCommand(newTimelineMigrateCmd(s))
	return c
}

// mergeTimelines is the shared timeline with the local records it lacks,
// in time order (the shared order kept among equal times).
func mergeTimelines(shared, local []journal.Record) []journal.Record {
	key := func(r journal.Record) string {
		return strings.Join([]string{r.Time.UTC().Format(time.RFC3339Nano), r.Kind, r.Step, r.Check, r.Host, r.Message}, "|")
	}
	seen := make(map[string]bool, len(shared))
	for _, r := range shared {
		seen[key(r)] = true
	}
	out := slices.Clone(shared)
	for _, r := range local {
		if !seen[key(r)] {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
	return out
}

// dropProbeRepeats leaves out probe answers journaled again unchanged.
func dropProbeRepeats(all []journal.Record) []journal.Record {
	var repeats runbook.ProbeRepeats
	recs := all[:0]
	for _, r := range all {
		if !repeats.Repeat(r) {
			recs = append(recs, r)
		}
	}
	return recs
}

// sharedTimelineTimeout bounds reading the shared timeline; past it the
// local journal is printed instead, saying so.
const sharedTimelineTimeout = 5 * time.Second

// sharedTimeline is the environment's shared timeline (every machine's
// records) when it has a database that answers; false sends the caller to
// this machine's journal, with the reason on stderr. A signal ends the
// read at once (ctx is the program's).
func sharedTimeline(ctx context.Context, s *Streams, cfg *config.Config, env string) ([]journal.Record, bool) {
	url := runbook.SharedTimelineURL(cfg.Environments[env])
	if url == "" {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimelineTimeout)
	defer cancel()
	// A watcher checks the schema through what it is granted, never migrating.
	err := checkTimeline(ctx, url, sharedlog.Follow)
	var recs []journal.Record
	if err == nil {
		recs, err = sharedlog.ReadOthers(ctx, url, env, journal.Path(cfg.StateDir, env), sharedTrust(cfg))
	}
	switch {
	case err != nil:
		fmt.Fprintf(s.ErrOut, "cockpit: timeline: %s: this machine's journal only\n", safetext.Clean(journal.Redact(err.Error(), url)))
		return nil, false
	case len(recs) == 0:
		return nil, false // nothing shared yet: this machine's journal, if any
	}
	return recs, true
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
