// Command cockpit is a terminal cockpit for the Rust runtime authority
// cutover: live panes, confirm-gated actions, a read-only watch mode, a
// scripted mode for automation and a built-in rehearsal world.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/openagents/cockpit/factory"
)

func main() {
	streams := factory.System()
	ctx, stop := factory.WithSignals(context.Background(), streams.ErrOut)
	err := run(ctx, os.Args[1:], streams)
	stop()
	code := exitCode(err)
	if err != nil && !isSilent(err) {
		fmt.Fprintln(streams.ErrOut, "cockpit:", err) // past the config's secrets (factory.Factory.Config)
	}
	os.Exit(code)
}

// run is the whole program with its I/O injected, so tests drive it like a user.
func run(ctx context.Context, args []string, s *Streams) error {
	root := newRootCmd(ctx, s)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}
