package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
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
	sc, err := openScreen(s, f, true)
	if err != nil {
		return err
	}
	defer sc.close()
	j := sc.journal
	host, _ := os.Hostname()
	// The screen shows the journal, where the lock's notes go: nothing is
	// written under it.
	lc := lockConfigOf(sc.cfg)
	lc.say = io.Discard
	l := stepLocker{
		forward:  envLocker(lc, sc.eng, j, false),
		rollback: envLocker(lc, sc.eng, j, true),
	}
	// The write probe exists only in the acting paths: the screen's engine
	// holds none.
	probe, err := executor.NewWriteProbe(sc.cfg, sc.eng.Env())
	if err != nil {
		return withCode(exitUsage, err)
	}
	x := executor.New(sc.eng, j, l, executor.Options{Config: sc.cfg, Host: host, Logger: sc.logger, WriteProbe: probe})
	actor := newInflight(ctx, x, sc.logger, sc.eng.Observe)
	screen := make(chan error, 1)
	go func() { screen <- sc.run(ctx, s, mode, actor, faults) }()
	select {
	case err = <-screen:
	case <-ctx.Done():
		// A signal: the terminal may be gone. The screen gets a moment to
		// give it back; the action in flight matters more than the screen.
		select {
		case err = <-screen:
		case <-time.After(screenCloseGrace):
			sc.logger.Warn("the screen did not close after the signal; carrying on without it")
		}
	}
	if done := actor.finish(s.ErrOut); done != nil {
		return done
	}
	return err
}

// screenCloseGrace is how long a signalled screen may take to close.
const screenCloseGrace = 3 * time.Second

// stepLocker gives a rollback the lock that a database outage cannot block
// and every other step the one that refuses instead, as the verbs do.
type stepLocker struct{ forward, rollback lock.Locker }

func (l stepLocker) Acquire(ctx context.Context, h lock.Holder) (*lock.Lease, error) {
	if h.Step == runbook.RollbackID {
		return l.rollback.Acquire(ctx, h)
	}
	return l.forward.Acquire(ctx, h)
}
