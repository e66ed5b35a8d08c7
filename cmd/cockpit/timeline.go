package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// timelineFormats are runbook's timeline formats, by -o.
var timelineFormats = output.Registry[string]{
	output.Text: executor.TimelineText, output.Markdown: executor.TimelineMarkdown, output.JSON: executor.TimelineJSON,
}

func newTimelineCmd(ctx context.Context, s *Streams) *cobra.Command {
	var cfgPath, env, output string
	c := &cobra.Command{
		Use:   "timeline --env E [-o text|markdown|json]",
		Short: "Print the environment's journal as a timeline",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			format, err := formatter(timelineFormats, output)
			if err != nil {
				return err
			}
			fac := factory.New(s, cfgPath, env, factory.Read)
			cfg, err := fac.Config()
			if err != nil {
				return withCode(exitUsage, err)
			}
			name, err := timelineEnv(cfg, env)
			if err != nil {
				return err
			}
			return printTimeline(ctx, s, fac, name, format)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&output, "output", "o", executor.TimelineText, "output: text, markdown or json")
	completeConfigFlags(c)
	c.AddCommand(newTimelineMigrateCmd(s))
	return c
}

// printTimeline writes the environment's timeline. This machine's journal
// alone is streamed: each record is printed as it is read, so a journal of
// any length costs one line of memory. With a shared timeline the two are
// merged in time order, which needs both in hand.
func printTimeline(ctx context.Context, s *Streams, fac *factory.Factory, name, output string) error {
	cfg, _ := fac.Config()
	out := bufio.NewWriterSize(s.Out, 64<<10)
	tw, err := executor.NewTimelineWriter(out, name, output)
	if err != nil {
		return withCode(exitUsage, err)
	}
	var (
		repeats runbook.ProbeRepeats // probe answers journaled again unchanged are left out
		werr    error
	)
	emit := func(r journal.Record) error {
		if !repeats.Repeat(r) {
			werr = tw.Write(r)
		}
		return werr
	}
	// The same incremental reader the screen uses: a torn or corrupt line
	// is named on stderr and skipped, never fatal.
	tail := journal.NewTail(journal.Path(cfg.StateDir, name))
	if shared, ok := sharedTimeline(ctx, s, fac, name); ok {
		local, _, rerr := tail.Next()
		err = rerr
		// Every machine's records, and this machine's not yet published
		// (the database was away when they were written).
		for _, r := range sharedlog.Merge(shared, local) {
			if emit(r) != nil {
				break
			}
		}
	} else {
		_, err = tail.Each(emit)
	}
	if werr != nil {
		return fmt.Errorf("writing the timeline: %w", werr)
	}
	var corrupt *journal.CorruptError
	switch {
	case errors.As(err, &corrupt):
		fmt.Fprintln(s.ErrOut, "cockpit:", err)
	case err != nil:
		return withCode(exitUsage, err)
	}
	if n := tail.Pending(); n > 0 {
		fmt.Fprintf(s.ErrOut, "cockpit: %s: last line unfinished (%d bytes, a process killed mid-write?): skipped\n", tail.Path(), n)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing the timeline: %w", err)
	}
	return nil
}

// sharedTimeline is the environment's shared timeline (every machine's
// records) when it has a database that answers; false sends the caller to
// this machine's journal, with the reason on stderr. A signal ends the
// read at once (ctx is the program's).
func sharedTimeline(ctx context.Context, s *Streams, fac *factory.Factory, env string) ([]journal.Record, bool) {
	recs, err := fac.SharedTimeline(ctx, env)
	if err != nil {
		fmt.Fprintf(s.ErrOut, "cockpit: timeline: %s: this machine's journal only\n", err)
		return nil, false
	}
	return recs, len(recs) > 0 // nothing shared yet: this machine's journal, if any
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
