package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/tui"
)

func newOperateCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f screenFlags
	c := &cobra.Command{
		Use:   "operate --env E",
		Short: "Operate the cutover on the screen: live panes and confirm-gated actions",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return operate(ctx, s, &f)
		},
	}
	f.register(c)
	return c
}

// operate is watch plus the one door: a journal, the environment's lock and
// the executor, through which every action of the screen goes.
func operate(ctx context.Context, s *Streams, f *screenFlags) error {
	if !s.IsTTY {
		return withCode(exitUsage, errors.New("operate needs a terminal; use cockpit check/status in scripts"))
	}
	return operateScreen(ctx, s, f, tui.Operate, nil)
}

// operateScreen runs the acting screen; rehearse uses it with the
// rehearsal badge and the world's fault switch.
func operateScreen(ctx context.Context, s *Streams, f *screenFlags, mode tui.Mode, faults func(context.Context, string, bool) error) error {
	fac := screenFactory(s, f, factory.Operate)
	defer fac.Close()
	actor, err := fac.Inflight(ctx)
	if err != nil {
		return withCode(exitUsage, err)
	}
	logger, _ := fac.Logger()
	opts, err := screenOptions(ctx, fac, f, mode, actor, faults)
	if err != nil {
		return err
	}
	stopGuard, err := screenGuard(ctx, fac, mode, s.ErrOut)
	if err != nil {
		return err
	}
	screen := make(chan error, 1)
	go func() { screen <- runScreen(ctx, opts) }()
	select {
	case err = <-screen:
	case <-ctx.Done():
		// A signal: the terminal may be gone. The screen gets a moment to
		// give it back; the action in flight matters more than the screen.
		select {
		case err = <-screen:
		case <-time.After(screenCloseGrace):
			logger.Warn("the screen did not close after the signal; carrying on without it")
		}
	}
	stopGuard()
	if done := finish(s.ErrOut, actor); done != nil {
		return done
	}
	return err
}

// screenCloseGrace is how long a signalled screen may take to close.
const screenCloseGrace = 3 * time.Second
