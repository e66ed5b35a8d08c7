package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// newTimelineMigrateCmd is the owner's verb: it creates or upgrades the
// shared timeline's schema. Operating and watching cockpits never migrate
// (their roles cannot, by design); they check the version and say so.
func newTimelineMigrateCmd(s *Streams) *cobra.Command {
	var cfgPath, env string
	c := &cobra.Command{
		Use:   "migrate --env E",
		Short: "Create or upgrade the shared timeline's schema (as the owning role)",
		Long: "migrate runs the shared timeline's migrations against the environment's timeline database,\n" +
			"logged in as the role that owns the tables (sharedlog/GRANTS.md). Run it before operators\n" +
			"publish: their cockpits check the schema version and publish nothing until it matches.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			e, err := runbook.PickEnvironment(cfg, env)
			if err != nil {
				return withCode(exitUsage, err)
			}
			url := runbook.SharedTimelineURL(e)
			if url == "" {
				return usageError("environment %q has no shared timeline database: set shared_timeline (or database) url_env or url_file in %s, and its variable", e.Name, cfg.Path)
			}
			return migrateTimeline(cmd.Context(), s, e.Name, url)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&env, "env", "", "environment (may be left out when the config has one)")
	completeConfigFlags(c)
	return c
}

// migrateTimeline migrates env's timeline at url and prints the versions
// before and after; a failure names the database's answer (the URL's
// secrets redacted) and the role it needs.
func migrateTimeline(ctx context.Context, s *Streams, env, url string) error {
	fail := func(err error) error {
		return withCode(exitActionFailed, fmt.Errorf("timeline migrate (%s): %s: run it as the role that owns the tables (CREATE on the schema; sharedlog/GRANTS.md)",
			env, safetext.Clean(journal.Redact(err.Error(), url))))
	}
	before, err := sharedlog.VersionAt(ctx, url)
	if err != nil {
		return fail(err)
	}
	if err := sharedlog.Migrate(ctx, url); err != nil {
		return fail(err)
	}
	after, err := sharedlog.VersionAt(ctx, url)
	if err != nil {
		return fail(err)
	}
	if before == after {
		fmt.Fprintf(s.Out, "timeline: %s: schema at version %d, already current\n", env, after)
		return nil
	}
	fmt.Fprintf(s.Out, "timeline: %s: schema migrated from version %d to %d\n", env, before, after)
	fmt.Fprintln(s.Out, "timeline: grant the operating and watching roles as sharedlog/GRANTS.md says, if not done yet")
	return nil
}
