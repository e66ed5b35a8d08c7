package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/sandbox"
)

// ctlClient calls the rehearsal world's control API named in a config.
type ctlClient struct{ sandbox.ControlClient }

func newRehearseCtlCmd(ctx context.Context, s *Streams) *cobra.Command {
	var configPath, env string
	c := &ctlClient{sandbox.ControlClient{Out: s.Out, HTTP: &http.Client{Timeout: 5 * time.Minute}}}
	cmd := &cobra.Command{
		Use:   "ctl",
		Short: "Control the rehearsal world: what gcloud is to the real cutover",
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Name() == "db-fixtures" {
				return nil
			}
			if configPath == "" {
				return usageError("--config is required (the path `rehearse --headless` printed)")
			}
			cfg, err := factory.New(s, configPath, "", factory.Read).Config()
			if err != nil {
				return withCode(exitUsage, err)
			}
			if cfg.Rehearsal == nil || cfg.Rehearsal.ControlURL == "" {
				return usageError("%s is not a rehearsal config (no rehearsal.control_url)", configPath)
			}
			c.Base, c.Env = cfg.Rehearsal.ControlURL, env
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&configPath, "config", "", "the rehearsal world's config")
	cmd.PersistentFlags().StringVar(&env, "env", "", "environment: staging or production")
	completeConfigFlags(cmd)

	needEnv := func(f func(args []string) error) func(*cobra.Command, []string) error {
		return func(_ *cobra.Command, args []string) error {
			if c.Env == "" {
				return usageError("--env is required (staging or production)")
			}
			return f(args)
		}
	}
	cmd.AddCommand(
		&cobra.Command{Use: "set-env rust|legacy KEY=VALUE", Short: "Redeploy one runtime with one variable changed",
			Args: cobra.ExactArgs(2), ValidArgsFunction: completeRuntime, RunE: needEnv(func(a []string) error {
				if !strings.Contains(a[1], "=") || strings.HasPrefix(a[1], "=") {
					return usageError("set-env: %q is not KEY=VALUE", a[1])
				}
				return c.call(ctx, "set-env", map[string]any{"runtime": a[0], "assignment": a[1]})
			})},
		&cobra.Command{Use: "redeploy rust|legacy", Short: "Deploy a new revision of one runtime with the same variables (every Rust run in memory is lost)",
			Args: cobra.ExactArgs(1), ValidArgsFunction: completeRuntime, RunE: needEnv(func(a []string) error {
				return c.call(ctx, "redeploy", map[string]any{"runtime": a[0]})
			})},
		&cobra.Command{Use: "route-writes rust|legacy", Short: "Send every write to one runtime",
			Args: cobra.ExactArgs(1), ValidArgsFunction: completeRuntime, RunE: needEnv(func(a []string) error {
				return c.call(ctx, "route-writes", map[string]any{"target": a[0]})
			})},
		cohortCmd(ctx, c, needEnv),
		&cobra.Command{Use: "fault NAME on|off", Short: "Inject or clear a fault: " + strings.Join(sandbox.FaultNames(), ", "),
			Args: cobra.ExactArgs(2), ValidArgsFunction: completeFault, RunE: needEnv(func(a []string) error {
				if err := sandbox.CheckFault(a[0]); err != nil {
					return withCode(exitUsage, err)
				}
				if a[1] != "on" && a[1] != "off" {
					return usageError("fault: %q is not on or off", a[1])
				}
				return c.call(ctx, "fault", map[string]any{"name": a[0], "on": a[1] == "on"})
			})},
		parityRunCmd(ctx, c, needEnv),
		parityCaptureCmd(ctx, c, needEnv),
		&cobra.Command{Use: "state", Short: "Print every environment's state as JSON",
			Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return c.state(ctx) }},
		newDBFixturesCmd(ctx, s),
	)
	return cmd
}

// cohortCmd sets the control plane's per-user cohort (sticky: a user's
// runs start on one runtime and stay there), or, with --per-request, splits
// every request between the runtimes: the hazard a traffic split between
// revisions makes, which `ctl state` counts as misrouted_writes.
func cohortCmd(ctx context.Context, c *ctlClient, needEnv func(func([]string) error) func(*cobra.Command, []string) error) *cobra.Command {
	var perRequest bool
	cmd := &cobra.Command{Use: "cohort PERCENT [--per-request]", Short: "Send that share of production users (or, --per-request, of requests) to rust",
		Args: cobra.ExactArgs(1), RunE: needEnv(func(a []string) error {
			p, err := strconv.Atoi(strings.TrimSuffix(a[0], "%"))
			if err != nil {
				return usageError("cohort: %q is not a percentage", a[0])
			}
			return c.call(ctx, "cohort", map[string]any{"percent": p, "per_request": perRequest})
		})}
	cmd.Flags().BoolVar(&perRequest, "per-request", false,
		"split requests, not users: a run's appends may reach the runtime without it (the misrouted-writes hazard)")
	return cmd
}

// parityRunCmd runs the world's harness now; --output names the report
// file, as the real harness's --output does (the cockpit's {{.Report}}).
func parityRunCmd(ctx context.Context, c *ctlClient, needEnv func(func([]string) error) func(*cobra.Command, []string) error) *cobra.Command {
	var output string
	cmd := &cobra.Command{Use: "parity-run [--output REPORT]", Short: "Run the shadow harness now and write a report",
		Args: cobra.NoArgs, RunE: needEnv(func([]string) error {
			var body map[string]any
			if output != "" {
				body = map[string]any{"output": output}
			}
			return c.call(ctx, "parity-run", body)
		})}
	cmd.Flags().StringVar(&output, "output", "", "write the report to this path (inside the environment's reports directory)")
	return cmd
}

// parityCaptureCmd captures the next staged scenario's two sides into
// --out (rust/manifest.json, legacy/manifest.json): the world's stand-in
// for a deployment's own capture script, the cockpit's parity.capture.
func parityCaptureCmd(ctx context.Context, c *ctlClient, needEnv func(func([]string) error) func(*cobra.Command, []string) error) *cobra.Command {
	var out string
	cmd := &cobra.Command{Use: "parity-capture --out DIR", Short: "Capture a staged run's rust and legacy sides for the harness",
		Args: cobra.NoArgs, RunE: needEnv(func([]string) error {
			return c.call(ctx, "parity-capture", map[string]any{"output": out})
		})}
	cmd.Flags().StringVar(&out, "out", "", "the capture directory (inside the environment's reports directory)")
	return cmd
}

func (c *ctlClient) call(ctx context.Context, verb string, body map[string]any) error {
	return ctlError(c.Call(ctx, verb, body))
}

func (c *ctlClient) state(ctx context.Context) error { return ctlError(c.State(ctx)) }

// ctlError is the world's answer as an exit code: a refused request is a
// usage error (4), a control that ran and failed an action failure (5).
func ctlError(err error) error {
	var refused *sandbox.ControlRefused
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return withCode(exitUsage, err)
	}
	return withCode(exitActionFailed, err)
}
