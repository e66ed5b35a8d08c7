package main

import (
	"context"

	"github.com/openagents/cockpit/sandbox"
	"github.com/openagents/cockpit/tui"
)

// openRehearsalScreen opens operate on the world's own config, with the
// REHEARSAL badge and the instructor's fault menu switching the world.
func openRehearsalScreen(ctx context.Context, s *Streams, w *sandbox.World, env, logFile string) error {
	f := &screenFlags{config: w.ConfigPath, env: env, logFile: logFile}
	faults := func(_ context.Context, name string, on bool) error { return w.SetFault(env, name, on) }
	return operateScreen(ctx, s, f, tui.Rehearsal, faults)
}
