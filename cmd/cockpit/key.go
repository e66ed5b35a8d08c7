package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/signing"
)

// newKeyCmd prints this operator's public key, creating the key pair on
// first use: the team lists it under team_keys so every cockpit believes
// what this one publishes to the shared timeline.
func newKeyCmd(s *Streams) *cobra.Command {
	var cfgPath string
	c := &cobra.Command{
		Use:   "key [--config C]",
		Short: "Print this operator's public key for team_keys (created on first use)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			k, err := signing.Load(cfg.StateDir, cfg.Operator, true)
			if err != nil {
				return withCode(exitUsage, err)
			}
			fmt.Fprintln(s.Out, k.Public())
			switch listed := cfg.TeamKeys[cfg.Operator]; listed {
			case k.Public():
				fmt.Fprintf(s.ErrOut, "cockpit: listed in %s under team_keys as %s\n", cfg.Path, cfg.Operator)
			case "":
				fmt.Fprintf(s.ErrOut, "cockpit: add it to every cockpit's config, or the team sees your records unverified:\n  team_keys:\n    %s: %q\n", cfg.Operator, k.Public())
			default:
				fmt.Fprintf(s.ErrOut, "cockpit: team_keys lists another key for %s in %s: replace it with this one, or the team sees your records unverified\n", cfg.Operator, cfg.Path)
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	return c
}
