package executor

import (
	"fmt"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// NewWriteProbe builds the write probe for env: the one value in a process
// that WRITES a run. Only the acting path (run, rollback, operate) builds it
// and hands it to New in Options.WriteProbe; it reaches the runtimes as the
// engine does (runbook.NewRuntimeAccess: the same bounded client, legacy
// secret and timeout).
func NewWriteProbe(cfg *config.Config, env *config.Environment) (*checks.WriteProber, error) {
	a, err := runbook.NewRuntimeAccess(cfg, env, runbook.EngineOptions{})
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	return checks.NewWriteProber(a.Env, a.Client, a.Secret, a.Now, a.Timeout), nil
}
