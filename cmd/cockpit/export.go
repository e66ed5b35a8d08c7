package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/alertrules"
	"github.com/openagents/cockpit/config"
)

// newExportCmd writes what the cockpit knows for other tools: the incident
// criteria and signal thresholds as Prometheus alerting rules, so the
// team's Alertmanager pages when no cockpit runs.
func newExportCmd(s *Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "export",
		Short: "Export the config's criteria for other tools (alert-rules)",
	}
	var cfgPath, env, out string
	rules := &cobra.Command{
		Use:   "alert-rules --config C --env E --out DIR",
		Short: "Write DIR/rules.yml (Prometheus alerting rules) and DIR/rules_test.yml (promtool test cases)",
		Long: "alert-rules writes one Prometheus alerting rule per incident criterion and per signal threshold of the\n" +
			"environment, from the config's own queries, with for, keep_firing_for, labels (runbook_item, severity,\n" +
			"environment) and annotations (the runbook's words, the cockpit command to run, the dashboard). Criteria\n" +
			"PromQL cannot express (parity reports, projector endpoints, the writer check) read the cockpit's own\n" +
			"--metrics-addr series. rules_test.yml holds generated `promtool test rules` cases for every rule.\n" +
			"Exit codes: 4 a config, environment or --out problem.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if out == "" {
				return usageError("--out DIR is required: the directory rules.yml and rules_test.yml are written to")
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return withCode(exitUsage, err)
			}
			ex, err := alertrules.Build(cfg, env)
			if err != nil {
				return withCode(exitUsage, err)
			}
			w, err := alertrules.Write(ex, out)
			if err != nil {
				return withCode(exitUsage, err)
			}
			fmt.Fprintf(s.Out, "wrote %s (%d rules) and %s (%d cases); check them with: promtool test rules %s\n",
				w.RulesPath, w.Rules, w.TestsPath, w.Cases, w.TestsPath)
			return nil
		},
	}
	rules.Flags().StringVar(&cfgPath, "config", config.DefaultPath(), "config file")
	rules.Flags().StringVar(&env, "env", "", "environment whose rules to write")
	rules.Flags().StringVar(&out, "out", "", "directory to write rules.yml and rules_test.yml to")
	_ = rules.MarkFlagRequired("env")
	c.AddCommand(rules)
	return c
}
