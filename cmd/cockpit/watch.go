package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
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
	c.Flags().StringVar(&f.metricsAddr, "metrics-addr", "", "serve the cockpit's verdicts as Prometheus metrics at this address (e.g. 127.0.0.1:9464)")
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
	sc, err := openScreen(s, f, false)
	if err != nil {
		return err
	}
	defer sc.close()
	return sc.run(ctx, s, tui.Watch, nil, nil)
}

// screen is what both verbs share: config, engine, the log file and, for
// operate only, the journal (watch writes nothing anywhere).
type screen struct {
	cfg     *config.Config
	eng     *runbook.Engine
	journal *journal.Journal
	share   *sharing
	notify  *notifying
	// shared is what other machines publish; follow feeds it.
	shared *runbook.SharedFeed
	follow *following
	// metricsAddr serves the cockpit's own verdicts (--metrics-addr).
	metricsAddr string
	// followFeed renders from the shared observation feed (watch --follow).
	followFeed bool
	logger     *slog.Logger
	closeLog   func()
}

func openScreen(s *Streams, f *screenFlags, withJournal bool) (*screen, error) {
	cfg, err := loadConfig(s, f.config)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	envCfg, err := runbook.PickEnvironment(cfg, f.env)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	logger, closeLog, err := openLog(f.logFile, s.secrets)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	sc := &screen{cfg: cfg, logger: logger, closeLog: closeLog, metricsAddr: f.metricsAddr, followFeed: f.follow}
	if withJournal {
		// The engine journals verdict changes; the executor journals actions.
		// The screen's journal has a fallback: a rollback from the screen
		// must not fail on a full state disk (forward steps still stop).
		sc.journal = screenJournal(logger, envCfg.Name, journal.Path(cfg.StateDir, envCfg.Name))
		host, _ := os.Hostname()
		sc.journal.SetDefaults(envCfg.Name, cfg.Operator, host, cfg.Hash)
		sc.journal.AddSecrets(cfg.Secrets...)
	}
	// Without a journal the screen only watches: its engine is read-only.
	sc.shared = &runbook.SharedFeed{}
	opts := runbook.EngineOptions{Logger: logger, Journal: sc.journal, ReadOnly: !withJournal, Shared: sc.shared,
		StagingShared: stagingFeeds(cfg, envCfg, logger)}
	if sc.eng, err = runbook.NewEngine(cfg, envCfg.Name, opts); err != nil {
		sc.close()
		return nil, withCode(exitUsage, err)
	}
	sc.follow = startFollowing(sharedTrust(cfg), runbook.SharedTimelineURL(envCfg), envCfg.Name, journal.Path(cfg.StateDir, envCfg.Name), sc.shared, logger)
	if sc.followFeed && sc.follow == nil {
		sc.close()
		return nil, usageError("watch --follow reads the shared feed from the environment's database: configure database.url_env (and set it) for %s", envCfg.Name)
	}
	if sc.journal != nil {
		sc.share = startSharing(cfg, runbook.SharedTimelineURL(envCfg), envCfg.Name, sc.journal.Path(), logger)
		sc.notify = startNotifying(cfg.Notify, sc.journal, logger)
	}
	return sc, nil
}

func (sc *screen) close() {
	sc.follow.close()
	sc.notify.close()
	sc.share.close()
	if sc.journal != nil {
		_ = sc.journal.Close()
	}
	sc.closeLog()
}

func (sc *screen) run(ctx context.Context, s *Streams, mode tui.Mode, actor tui.Actor, faults func(context.Context, string, bool) error) error {
	env := sc.eng.Env()
	var faultNames []string
	faultHelp := map[string]string{} // the instructor's menu says what each fault does
	if faults != nil {
		faultNames = sandbox.FaultNames()
		for _, n := range faultNames {
			faultHelp[n] = sandbox.FaultHelp(n)
		}
	}
	own := redactingObserver{Observer: sc.eng, hide: s.secrets.Redact}
	var obs tui.Observer = own
	switch {
	case sc.followFeed:
		obs = followObserver{own: own, pool: sc.follow.pool, env: env.Name, staleAfter: sc.cfg.StaleAfter.D(),
			trust: sharedTrust(sc.cfg)}
	case sc.share != nil:
		obs = publishingObserver{Observer: own, share: sc.share}
	}
	obs, actor, bound, err := serveSelfMetrics(ctx, sc.metricsAddr, env.Name, obs, actor, sc.notify)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("--metrics-addr: %w", err))
	}
	if bound != "" {
		sc.logger.Info("serving the cockpit's metrics", "url", "http://"+bound+"/metrics")
	}
	obs = primeObserver(ctx, obs, observeTimeout(sc.cfg))
	err = tui.Run(ctx, tui.Options{
		Env: env.Name, Production: env.Production, Mode: mode, Operator: sc.cfg.Operator,
		Observer: obs, Actor: actor,
		Refresh: sc.cfg.Refresh.D(), ObserveTimeout: observeTimeout(sc.cfg), StaleAfter: sc.cfg.StaleAfter.D(),
		JournalPath: journal.Path(sc.cfg.StateDir, env.Name), Shared: sc.shared, Signals: env.Signals, Timeline: sc.timelineProblem,
		Faults: faults, FaultNames: faultNames, FaultHelp: faultHelp, Input: s.In, Output: s.Out, Logger: sc.logger, Redact: s.secrets.Redact,
		Mask: s.secrets.Mask, CancelGuard: sc.guardCanceller(mode), GuardCountdown: env.Guard.Countdown.D(),
	})
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the terminal is restored, nothing to report
	}
	return err
}

// primedObserver starts the first observation round at once, while the
// screen is still taking the terminal (raw mode, alternate screen, colour
// detection), and hands that round to the screen's first Observe: the
// first values reach the screen that much sooner (docs/design.md §9, first paint).
// Every later round is the screen's own.
type primedObserver struct {
	tui.Observer
	first chan runbook.State // the primed round, taken once
	taken atomic.Bool
}

func primeObserver(ctx context.Context, obs tui.Observer, timeout time.Duration) *primedObserver {
	p := &primedObserver{Observer: obs, first: make(chan runbook.State, 1)}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		p.first <- obs.Observe(ctx)
	}()
	return p
}

// Observe is the primed round the first time (as long as ctx allows
// waiting for it), a fresh round after.
func (p *primedObserver) Observe(ctx context.Context) runbook.State {
	if p.taken.CompareAndSwap(false, true) {
		select {
		case st := <-p.first:
			return st
		case <-ctx.Done():
		}
	}
	return p.Observer.Observe(ctx)
}

// observeTimeout gives one round the refresh period, and never less than
// the query timeout the probes need.
func observeTimeout(cfg *config.Config) time.Duration {
	return max(cfg.Refresh.D(), cfg.QueryTimeout.D()+time.Second)
}
