package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/tui"
)

// screenFlags are the flags of the two screen verbs.
type screenFlags struct {
	config, env, logFile string
}

func (f *screenFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVar(&f.logFile, "log-file", "", "write logs here (the screen never shows them)")
}

func newWatchCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f screenFlags
	c := &cobra.Command{
		Use:   "watch --env E",
		Short: "Watch the cutover on a read-only screen (no executor, no lock, no write probe)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return watch(ctx, s, &f)
		},
	}
	f.register(c)
	return c
}

// watch builds only the engine: no executor, lock or write probe exists in
// this process, so the screen cannot act even if a key asked it to.
func watch(ctx context.Context, s *Streams, f *screenFlags) error {
	if !s.IsTTY {
		return withCode(exitUsage, errors.New("watch needs a terminal; use cockpit check/status in scripts"))
	}
	sc, err := openScreen(f)
	if err != nil {
		return err
	}
	defer sc.close()
	return sc.run(ctx, s, tui.Watch, nil)
}

// screen is what both verbs share: config, engine and the log file.
type screen struct {
	cfg      *config.Config
	eng      *runbook.Engine
	logger   *slog.Logger
	closeLog func()
}

func openScreen(f *screenFlags) (*screen, error) {
	cfg, err := config.Load(f.config)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	logger, closeLog, err := openLog(f.logFile, cfg.StateDir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	eng, err := runbook.NewEngine(cfg, f.env, runbook.EngineOptions{Logger: logger})
	if err != nil {
		closeLog()
		return nil, withCode(exitUsage, err)
	}
	return &screen{cfg: cfg, eng: eng, logger: logger, closeLog: closeLog}, nil
}

func (sc *screen) close() { sc.closeLog() }

func (sc *screen) run(ctx context.Context, s *Streams, mode tui.Mode, actor tui.Actor) error {
	env := sc.eng.Env()
	err := tui.Run(ctx, tui.Options{
		Env: env.Name, Production: env.Production, Mode: mode, Operator: sc.cfg.Operator,
		Observer: sc.eng, Actor: actor,
		Refresh: sc.cfg.Refresh.D(), ObserveTimeout: observeTimeout(sc.cfg), StaleAfter: sc.cfg.StaleAfter.D(),
		JournalPath: journal.Path(sc.cfg.StateDir, env.Name), Signals: env.Signals,
		Input: s.In, Output: s.Out, Logger: sc.logger,
	})
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the terminal is restored, nothing to report
	}
	return err
}

// observeTimeout gives one round the refresh period, and never less than
// the query timeout the probes need.
func observeTimeout(cfg *config.Config) time.Duration {
	return max(cfg.Refresh.D(), cfg.QueryTimeout.D()+time.Second)
}
