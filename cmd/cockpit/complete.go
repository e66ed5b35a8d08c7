package main

import (
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sandbox"
)

// completeConfigFlags has the shell complete --config with YAML files and
// --env with the environments of the config --config names.
func completeConfigFlags(c *cobra.Command) {
	_ = c.RegisterFlagCompletionFunc("config", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
	_ = c.RegisterFlagCompletionFunc("env", completeEnvs)
}

// completeEnvs is the environments of the config the command line names
// (or the default one); none when it does not load.
func completeEnvs(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	path, err := c.Flags().GetString("config")
	if err != nil || path == "" {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(cfg.Environments))
	for name := range cfg.Environments {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}

// runnableSteps are the runbook items `run` takes (S1–S4, V1–V4, P1–P4).
func runnableSteps() []string {
	var ids []string
	for _, it := range runbook.RunbookItems() {
		if isRunnable(it.ID) {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// completeStep completes run's one STEP, in the runbook's order.
func completeStep(_ *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return typedPrefix(runnableSteps(), typed), cobra.ShellCompDirectiveNoFileComp
}

// completeApprove completes --approve with what a verb may approve.
func completeApprove(ids ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		return typedPrefix(ids, typed), cobra.ShellCompDirectiveNoFileComp
	}
}

// typedPrefix is the words that start with what was typed, in either case
// (steps are taken as s1 or S1).
func typedPrefix(words []string, typed string) []string {
	return slices.DeleteFunc(slices.Clone(words), func(w string) bool {
		return !strings.HasPrefix(strings.ToUpper(w), strings.ToUpper(typed))
	})
}

// completeFault completes `rehearse ctl fault NAME on|off`.
func completeFault(_ *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return typedPrefix(sandbox.FaultNames(), typed), cobra.ShellCompDirectiveNoFileComp
	case 1:
		return []string{"on", "off"}, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// runtimes are the runtimes `rehearse ctl` redeploys or routes to.
var runtimes = []string{"rust", "legacy"}

// completeRuntime completes a ctl verb's first argument with the runtimes.
func completeRuntime(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return slices.Clone(runtimes), cobra.ShellCompDirectiveNoFileComp
}
