package main

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/sandbox"
)

// newRehearseReceiverCmd is a local webhook receiver for rehearsals: point
// a notify: target at it and it prints every message it gets, one line
// each, until interrupted (sandbox.Receive).
func newRehearseReceiverCmd(ctx context.Context, s *Streams) *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "receiver [--addr 127.0.0.1:9099]",
		Short: "A local webhook receiver that prints what the cockpit's notifications send",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("receiver: %w", err))
			}
			fmt.Fprintf(s.Out, "listening: http://%s/ (use it as a notify target's url)\n", ln.Addr())
			return sandbox.Receive(ctx, ln, s.Out)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:9099", "address to listen on")
	return c
}
