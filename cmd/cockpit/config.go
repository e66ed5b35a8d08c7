package main

import (
	_ "embed"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
)

// exampleConfig is a commented configuration for a real deployment (Cloud
// Run, Managed Prometheus); a test proves it passes validation.
//
//go:embed config_example.yaml
var exampleConfig string

func newConfigCmd(s *Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Validate the configuration, or print a commented example",
	}
	var path string
	validate := &cobra.Command{
		Use:   "validate [--config C]",
		Short: "Check the config file and list every problem with its line (exit 4 on any)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return withCode(exitUsage, err)
			}
			fmt.Fprintf(s.Out, "%s: valid (%d environments, %d signals, %d incident criteria)\n",
				cfg.Path, len(cfg.Environments), len(cfg.Signals), len(cfg.Incidents))
			if w := cfg.WarningText(); w != "" {
				fmt.Fprintln(s.ErrOut, w)
			}
			return nil
		},
	}
	validate.Flags().StringVar(&path, "config", config.DefaultPath(), "config file")
	example := &cobra.Command{
		Use:   "example",
		Short: "Print a commented example for a real deployment",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(s.Out, exampleConfig)
			return err
		},
	}
	c.AddCommand(validate, example, newConfigShowCmd(s))
	return c
}

// newConfigShowCmd prints the effective config: defaults applied, signal
// overrides merged, secrets redacted. What the cockpit will act on, not
// what the file says (an explicit `for: 0s` shows as 0s, a left-out one
// as its default).
func newConfigShowCmd(s *Streams) *cobra.Command {
	var path, env, output string
	show := &cobra.Command{
		Use:   "show [--config C] [--env E] [-o yaml|json]",
		Short: "Print the effective config: defaults applied, overrides merged, secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return withCode(exitUsage, err)
			}
			out, err := cfg.Show(env, output)
			if err != nil {
				return withCode(exitUsage, err)
			}
			_, err = s.Out.Write(out)
			return err
		},
	}
	show.Flags().StringVar(&path, "config", config.DefaultPath(), "config file")
	show.Flags().StringVar(&env, "env", "", "only this environment, with its merged signals")
	show.Flags().StringVarP(&output, "output", "o", "yaml", "yaml or json")
	completeConfigFlags(show)
	return show
}
