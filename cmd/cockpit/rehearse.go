package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/sandbox"
	"github.com/openagents/cockpit/sandbox/harness"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// rehearseFlags shape the rehearsal world.
type rehearseFlags struct {
	headless            bool
	dir                 string
	scenarios           []string
	redeployDelay       time.Duration
	writesPerSec        float64
	stagingWritesPerSec float64
	env                 string
	logFile             string
	controlAddr         string
	notifyURL           string

	// The Rust service as deployed: instances, affinity, mode variable, version.
	rustInstances int
	rustAffinity  bool
	rustModeUnset bool
	rustVersion   string
}

func newRehearseCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f rehearseFlags
	cmd := &cobra.Command{
		Use:   "rehearse",
		Short: "Run the cutover against the built-in rehearsal world (no other software needed)",
		Long: `rehearse starts a simulated world — Rust and legacy runtimes for staging and production,
traffic, an embedded Prometheus, a shadow harness — and opens the cockpit on it.

With --headless it only serves the world, prints "config: PATH" and runs until interrupted,
so scripted mode and tests can use it. Faults: ` + fmt.Sprint(sandbox.FaultNames()),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRehearse(ctx, s, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.headless, "headless", false, "serve the world and print its config path; no screen")
	fl.StringVar(&f.dir, "dir", "", "directory for the world's config, reports and state (default: a temporary directory)")
	fl.StringArrayVar(&f.scenarios, "scenario", nil, "fault to switch on at start, in every environment (repeatable)")
	fl.DurationVar(&f.redeployDelay, "redeploy-delay", 3*time.Second, "how long each control takes, like a new revision")
	fl.Float64Var(&f.writesPerSec, "writes-per-second", 40, "traffic per environment")
	fl.Float64Var(&f.stagingWritesPerSec, "staging-writes-per-second", 0.05,
		"staging's traffic: a quiet staging by default, whose error rates read insufficient traffic")
	fl.StringVar(&f.env, "env", "staging", "environment the screen opens on")
	fl.StringVar(&f.logFile, "log-file", "", "write logs to this file (default: none)")
	fl.StringVar(&f.controlAddr, "control-addr", "", "address of the control API (default: a free loopback port)")
	fl.StringVar(&f.notifyURL, "notify-url", "", "tell every notification event to this webhook (e.g. what `cockpit rehearse receiver` prints)")
	fl.IntVar(&f.rustInstances, "rust-instances", 1, "instances serving each Rust runtime, each with its own memory (runs, projector state)")
	fl.BoolVar(&f.rustAffinity, "rust-affinity", false, "session affinity: a run's requests reach the Rust instance that created it")
	fl.BoolVar(&f.rustModeUnset, "rust-mode-unset", false, "start Rust without RUNTIME_AUTHORITY_WRITE_MODE (the code's default: rust_active)")
	fl.StringVar(&f.rustVersion, "rust-version", rustsim.VersionS, "the Rust runtime's version: "+rustsim.VersionS+" (beside legacy, e5c63cf1) or "+rustsim.VersionLatest+" (b118d632)")
	_ = cmd.RegisterFlagCompletionFunc("scenario", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sandbox.FaultNames(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("env", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sandbox.Environments, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.AddCommand(newRehearseCtlCmd(ctx, s), newRehearseHarnessCmd(s), newRehearseReceiverCmd(ctx, s))
	return cmd
}

func runRehearse(ctx context.Context, s *Streams, f rehearseFlags) error {
	for flag, rate := range map[string]float64{"--writes-per-second": f.writesPerSec, "--staging-writes-per-second": f.stagingWritesPerSec} {
		if rate <= 0 {
			return usageError("%s must be above 0 (got %g): a world with no traffic has nothing to judge", flag, rate)
		}
	}
	for _, sc := range f.scenarios {
		if err := sandbox.CheckFault(sc); err != nil {
			return withCode(exitUsage, fmt.Errorf("--scenario: %w", err))
		}
	}
	if f.rustInstances < 1 {
		return usageError("--rust-instances %d: want 1 or more", f.rustInstances)
	}
	if err := rustsim.CheckVersion(f.rustVersion); err != nil {
		return withCode(exitUsage, fmt.Errorf("--rust-version: %w", err))
	}
	if !f.headless && !s.IsTTY {
		return usageError("rehearse opens a screen and needs a terminal; use --headless to serve the world for scripts")
	}
	logger, closeLog, err := s.OpenLog(f.logFile)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer closeLog()
	w, err := sandbox.Start(ctx, sandbox.Options{
		Dir: f.dir, Scenarios: f.scenarios, RedeployDelay: f.redeployDelay,
		WritesPerSecond: f.writesPerSec, StagingWritesPerSecond: f.stagingWritesPerSec, DBURLEnv: dbURLEnv(), Logger: logger, ControlAddr: f.controlAddr, NotifyURL: f.notifyURL,
		RustInstances: f.rustInstances, RustAffinity: f.rustAffinity, RustModeUnset: f.rustModeUnset, RustVersion: f.rustVersion,
	})
	if err != nil {
		return withCode(exitActionFailed, fmt.Errorf("starting the rehearsal world: %w", err))
	}
	defer func() {
		_ = w.Close()
		if kept := w.KeptState(); kept != "" {
			fmt.Fprintf(s.ErrOut, "cockpit: the rehearsal's journal and artifacts are kept in %s\n", kept)
		}
	}()
	if f.headless {
		fmt.Fprintf(s.Out, "config: %s\n", w.ConfigPath)
		fmt.Fprintf(s.Out, "control: %s\n", w.ControlURL())
		for _, env := range sandbox.Environments {
			fmt.Fprintf(s.Out, "%s prometheus: %s\n", env, w.PrometheusURL(env))
		}
		<-ctx.Done()
		return nil
	}
	return openRehearsalScreen(ctx, s, w, f.env, f.logFile)
}

// dbURLEnv names DB_URL for the generated config when it is set, so the
// rehearsal's P4 runs against a real database.
func dbURLEnv() string {
	if os.Getenv("DB_URL") != "" {
		return "DB_URL"
	}
	return ""
}

func newRehearseHarnessCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "harness --legacy-manifest F --rust-manifest F --output F [--max-warnings N] [--block-on-critical true|false]",
		Short: "The shadow-parity harness stand-in, with the real runtime-shadow-harness's flags and exit codes",
		// The harness parses its own flags, exactly as the real one does.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := harness.Main(args, s.Out, s.ErrOut, time.Now); code != 0 {
				return silentExit(code)
			}
			return nil
		},
	}
}
