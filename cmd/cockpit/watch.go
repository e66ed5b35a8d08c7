package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox"
	"github.com/openagents/cockpit/tui"
)

// screenFlags are the flags of the two screen verbs.
type screenFlags struct {
	config, env, logFile string
	metricsAddr          string
	follow               bool // watch only: render from the shared observation feed
}

func (f *screenFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVar(&f.logFile, "log-file", "", "write logs here (the screen never shows them)")
	c.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", "serve the cockpit's verdicts (and operate's guard's state) as Prometheus metrics at this address (e.g. 127.0.0.1:9464)")
	completeConfigFlags(c)
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
	c.Flags().BoolVar(&f.follow, "follow", false, "render from the operating cockpit's shared observation feed (the environment's database) instead of querying Prometheus and the runtimes; falls back to observing, and says why, when the feed is older than stale_after by the database's clock, or refused (dated beyond max_clock_skew in the future, or past the feed's bounds)")
	return c
}

// watch builds only the engine, read-only: no executor, lock or write probe
// exists in this process, so the screen cannot act even if a key asked it
// to, and no request reaches a mutation route of either runtime (the safe
// frozen probes' answers come from what operating processes journaled).
func watch(ctx context.Context, s *Streams, f *screenFlags) error {
	if !s.IsTTY {
		return withCode(exitUsage, errors.New("watch needs a terminal; use cockpit check/status in scripts"))
	}
	fac := screenFactory(s, f, factory.Watch)
	defer fac.Close()
	opts, err := screenOptions(ctx, fac, f, tui.Watch, nil, nil)
	if err != nil {
		return err
	}
	return runScreen(ctx, opts)
}

// screenFactory is the factory of a screen verb.
func screenFactory(s *Streams, f *screenFlags, mode factory.Mode) *factory.Factory {
	fac := factory.New(s, f.config, f.env, mode)
	fac.LogFile = f.logFile
	return fac
}

// screenOptions builds what the screen observes through and what it
// shows; actor is nil in watch, faults outside a rehearsal.
func screenOptions(ctx context.Context, fac *factory.Factory, f *screenFlags, mode tui.Mode, actor tui.Actor, faults func(context.Context, string, bool) error) (tui.Options, error) {
	if _, err := fac.Engine(); err != nil {
		return tui.Options{}, withCode(exitUsage, err)
	}
	cfg, _ := fac.Config()
	env, _ := fac.Environment()
	logger, _ := fac.Logger()
	following, err := fac.Following()
	if err != nil {
		return tui.Options{}, withCode(exitUsage, err)
	}
	if f.follow && following == nil {
		return tui.Options{}, usageError("watch --follow reads the shared feed from the environment's database: configure database.url_env (and set it) for %s", env.Name)
	}
	obs, err := fac.ScreenObserver(f.follow)
	if err == nil {
		obs, err = fac.Recorded(obs) // every round shown is recorded
	}
	if err != nil {
		return tui.Options{}, withCode(exitUsage, err)
	}
	obs, act, bound, err := fac.SelfMetrics(ctx, f.metricsAddr, obs, actor)
	if err != nil {
		return tui.Options{}, withCode(exitUsage, fmt.Errorf("--metrics-addr: %w", err))
	}
	if bound != "" {
		logger.Info("serving the cockpit's metrics", "url", "http://"+bound+"/metrics")
	}
	sharing, _ := fac.Sharing()
	var faultNames []string
	faultHelp := map[string]string{} // the instructor's menu says what each fault does
	if faults != nil {
		faultNames = sandbox.FaultNames()
		for _, n := range faultNames {
			faultHelp[n] = sandbox.FaultHelp(n)
		}
	}
	return tui.Options{
		Env: env.Name, Production: env.Production, Mode: mode, Operator: cfg.Operator,
		Observer: factory.Prime(ctx, obs, factory.ObserveTimeout(cfg)), Actor: act,
		Refresh: cfg.Refresh.D(), ObserveTimeout: factory.ObserveTimeout(cfg), StaleAfter: cfg.StaleAfter.D(),
		JournalPath: journal.Path(cfg.StateDir, env.Name), Shared: fac.Shared(), Signals: env.Signals,
		Timeline: func() string { return cmp.Or(sharing.Problem(), following.Problem()) },
		Faults:   faults, FaultNames: faultNames, FaultHelp: faultHelp, Input: fac.Streams.In, Output: fac.Streams.Out, Logger: logger, Redact: fac.Streams.Redact,
		Mask: fac.Streams.Mask, CancelGuard: guardCanceller(fac, mode), GuardCountdown: env.Guard.Countdown.D(),
	}, nil
}

// runScreen runs the screen until it closes.
func runScreen(ctx context.Context, opts tui.Options) error {
	err := tui.Run(ctx, opts)
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the terminal is restored, nothing to report
	}
	return err
}
