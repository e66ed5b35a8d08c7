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
	"github.com/openagents/cockpit/output/scripted"
)

func newTimelineCmd(ctx context.Context, s *Streams) *cobra.Command {
	var cfgPath, env, output string
	c := &cobra.Command{
		Use:   "timeline --env E [-o text|markdown|json]",
		Short: "Print the environment's journal as a timeline",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			format, err := formatter(scripted.TimelineFormats, output)
			if err != nil {
				return err
			}
			fac := factory.New(s, cfgPath, env, factory.Read)
			e, err := fac.Environment()
			if err != nil {
				return withCode(exitUsage, err)
			}
			return printTimeline(ctx, s, fac, e.Name, format)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&output, "output", "o", executor.TimelineText, "output: text, markdown or json")
	completeConfigFlags(c)
	c.AddCommand(newTimelineMigrateCmd(s))
	return c
}

// printTimeline writes the environment's timeline (scripted.Timeline):
// this machine's journal streamed, or merged with the shared timeline. A
// torn or corrupt line is named on stderr and skipped, never fatal.
func printTimeline(ctx context.Context, s *Streams, fac *factory.Factory, name, format string) error {
	cfg, _ := fac.Config()
	out := bufio.NewWriterSize(s.Out, 64<<10)
	tw, err := executor.NewTimelineWriter(out, name, format)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// The same incremental reader the screen uses.
	tail := journal.NewTail(journal.Path(cfg.StateDir, name))
	err, werr := scripted.Timeline(tw, tail, sharedTimeline(ctx, s, fac, name))
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
// records) when it has a database that answers; none sends the caller to
// this machine's journal, with the reason on stderr when the database did
// not answer. A signal ends the read at once (ctx is the program's).
func sharedTimeline(ctx context.Context, s *Streams, fac *factory.Factory, env string) []journal.Record {
	recs, err := fac.SharedTimeline(ctx, env)
	if err != nil {
		fmt.Fprintf(s.ErrOut, "cockpit: timeline: %s: this machine's journal only\n", err)
		return nil
	}
	return recs // nothing shared yet: this machine's journal, if any
}
