package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/openagents/cockpit/runbook"
)

// inflight is the screen's door to the executor, keeping track of the
// action in flight so the process never ends under it. The screen may go
// at any moment (q, a signal, a dropped SSH session): a forward step is then
// stopped at its next safe point by the screen's cancelled context, while a
// rollback runs on the program's second-signal context and reaches its end
// without the terminal, its progress going to the log.
type inflight struct {
	x        *runbook.Executor
	logger   *slog.Logger
	rollback context.Context // cancelled only by a second signal

	wg      sync.WaitGroup
	mu      sync.Mutex
	running string          // the action in flight, "" when none
	last    runbook.Outcome // the last action's outcome
	lastErr error
}

func newInflight(ctx context.Context, x *runbook.Executor, logger *slog.Logger) *inflight {
	return &inflight{x: x, logger: logger, rollback: rollbackContext(ctx)}
}

func (a *inflight) Plan(ctx context.Context, id string) (runbook.Plan, error) {
	return a.x.Plan(ctx, id)
}

func (a *inflight) Execute(ctx context.Context, p runbook.Plan, ap runbook.Approval, report func(runbook.Progress)) (runbook.Outcome, error) {
	a.wg.Add(1)
	defer a.wg.Done()
	a.set(p.ID, runbook.Outcome{}, nil)
	run := ctx
	if p.ID == runbook.RollbackID {
		run = a.rollback
	}
	out, err := a.x.Execute(run, p, ap, func(pr runbook.Progress) {
		a.logger.Info("progress", "step", pr.Step, "sub_step", pr.SubStep, "message", pr.Message)
		report(pr)
	})
	a.set("", out, err)
	return out, err
}

func (a *inflight) set(running string, out runbook.Outcome, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.running = running
	if running == "" {
		a.last, a.lastErr = out, err
	}
}

// finish waits, once the screen is gone, for the action it left in flight
// and says how that action ended: a process with an action in flight never
// exits 0. Nothing in flight: nil.
func (a *inflight) finish(errOut io.Writer) error {
	a.mu.Lock()
	running := a.running
	a.mu.Unlock()
	if running == "" {
		return nil
	}
	if running == runbook.RollbackID {
		fmt.Fprintln(errOut, "cockpit: the screen closed during the rollback: it runs to its end (a second signal aborts it); progress in the journal and the log")
	} else {
		fmt.Fprintf(errOut, "cockpit: the screen closed during %s: stopping it at its next safe point\n", running)
	}
	a.wg.Wait()
	a.mu.Lock()
	out, err := a.last, a.lastErr
	a.mu.Unlock()
	switch {
	case err != nil:
		return actingError(err)
	case running == runbook.RollbackID && out.OK:
		fmt.Fprintln(errOut, "cockpit: "+out.Message)
		return silentExit(exitRolledBack)
	case out.OK:
		return withCode(exitActionFailed, fmt.Errorf("%s finished after the screen closed: %s", running, out.Message))
	default:
		return withCode(exitActionFailed, fmt.Errorf("%s", out.Message))
	}
}
