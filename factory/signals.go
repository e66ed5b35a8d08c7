package factory

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// hardStopKey carries, in the program's context, the context that only a
// second signal cancels.
type hardStopKey struct{}

// WithSignals returns the program's context, cancelled by the first SIGINT,
// SIGTERM or SIGHUP (a closed terminal, a dropped SSH session), and carries
// a second one, cancelled by the second signal. A forward step stops at the
// first (at its next safe point, its actuator's process group killed, its
// outcome journaled); a rollback runs on the second, so it reaches its end
// without the terminal unless the operator insists. SIGPIPE is ignored:
// writing to a terminal that went away is an error, not death.
func WithSignals(parent context.Context, errOut io.Writer) (context.Context, func()) {
	signal.Ignore(syscall.SIGPIPE)
	first, cancelFirst := context.WithCancelCause(parent)
	hard, cancelHard := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case sig := <-ch:
				n++
				if n == 1 {
					cancelFirst(fmt.Errorf("%v received", sig))
					fmt.Fprintf(errOut, "cockpit: %v: stopping (a rollback, if one is running, goes on to its end; send it again to abort that too)\n", sig)
					continue
				}
				cancelHard(fmt.Errorf("%v received twice", sig))
				fmt.Fprintf(errOut, "cockpit: %v again: aborting\n", sig)
			case <-done:
				return
			}
		}
	}()
	ctx := context.WithValue(first, hardStopKey{}, hard)
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancelFirst(nil)
		cancelHard(nil)
	}
}

// RollbackContext is what a rollback runs on: the context only a second
// signal cancels (ctx itself when the program was started without
// WithSignals, as in tests).
func RollbackContext(ctx context.Context) context.Context {
	if hard, ok := ctx.Value(hardStopKey{}).(context.Context); ok {
		return hard
	}
	return ctx
}
