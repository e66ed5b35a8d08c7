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
	c.AddCommand(validate, example)
	return c
}
