package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
)

// inflight is the screen's door to the executor, keeping track of the
// action in flight so the process never ends under it. The screen may go
// at any moment (q, a signal, a dropped SSH session): a forward step is then
// stopped at its next safe point by the screen's cancelled context, while a
// rollback runs on the program's second-signal context and reaches its end
// without the terminal, its progress going to the log. Either way the
// process says how the action ended, and what a step stopped mid-way left.
type inflight struct {
	x        *executor.Executor
	logger   *slog.Logger
	rollback context.Context // cancelled only by a second signal
	// observe reads the world once more when a step stopped mid-way, so
	// the exit message says what it left (which runtimes take writes).
	observe func(context.Context) runbook.State

	wg      sync.WaitGroup
	mu      sync.Mutex
	running string // the action in flight, "" when none
	lastID  string
	last    executor.Outcome // the last action's outcome
	lastErr error
	// stopped says the last action's context was cancelled under it: the
	// screen quit (or was signalled) while it ran, so nobody saw its end.
	stopped bool
}

func newInflight(ctx context.Context, x *executor.Executor, logger *slog.Logger, observe func(context.Context) runbook.State) *inflight {
	return &inflight{x: x, logger: logger, rollback: rollbackContext(ctx), observe: observe}
}

func (a *inflight) Plan(ctx context.Context, id string) (executor.Plan, error) {
	return a.x.Plan(ctx, id)
}

func (a *inflight) Execute(ctx context.Context, p executor.Plan, ap executor.Approval, report func(executor.Progress)) (executor.Outcome, error) {
	a.wg.Add(1)
	defer a.wg.Done()
	a.mu.Lock()
	a.running = p.ID
	a.mu.Unlock()
	run := ctx
	if p.ID == runbook.RollbackID {
		run = a.rollback
	}
	out, err := a.x.Execute(run, p, ap, func(pr executor.Progress) {
		a.logger.Info("progress", "step", pr.Step, "sub_step", pr.SubStep, "message", pr.Message)
		report(pr)
	})
	a.mu.Lock()
	a.running, a.lastID, a.last, a.lastErr, a.stopped = "", p.ID, out, err, ctx.Err() != nil
	a.mu.Unlock()
	return out, err
}

// finish waits, once the screen is gone, for the action it left in flight
// and says how that action ended; an action the screen stopped (q then y)
// is said too. A step that finished OK exits 0 saying so; one that stopped
// mid-way exits non-zero saying what it left; a rollback exits 6 when it
// rolled back. Nothing in flight or stopped: nil.
func (a *inflight) finish(errOut io.Writer) error {
	a.mu.Lock()
	running, stopped := a.running, a.stopped
	a.mu.Unlock()
	switch {
	case running == runbook.RollbackID:
		fmt.Fprintln(errOut, "cockpit: the screen closed during the rollback: it runs to its end (a second signal aborts it); progress in the journal and the log")
	case running != "":
		fmt.Fprintf(errOut, "cockpit: the screen closed during %s: stopping it at its next safe point\n", running)
	case !stopped:
		return nil
	}
	a.wg.Wait()
	a.mu.Lock()
	id, out, err := a.lastID, a.last, a.lastErr
	a.mu.Unlock()
	switch {
	case id == runbook.RollbackID && err == nil && out.OK:
		fmt.Fprintln(errOut, "cockpit: "+out.Message)
		return silentExit(exitRolledBack)
	case id == runbook.RollbackID && err != nil:
		return actingError(err)
	case id == runbook.RollbackID:
		return withCode(exitActionFailed, fmt.Errorf("%s", out.Message))
	case err == nil && out.OK:
		fmt.Fprintf(errOut, "cockpit: %s finished after the screen closed: %s\n", id, firstLineOf(out.Message))
		return nil
	}
	return a.stoppedMidway(id, out, err)
}

// leftTimeout bounds the observation that says what a stopped step left.
const leftTimeout = 15 * time.Second

// stoppedMidway is the exit error of a forward action the screen stopped:
// how it ended and what the world shows now, with what to do.
func (a *inflight) stoppedMidway(id string, out executor.Outcome, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.rollback), leftTimeout)
	defer cancel()
	left := a.observe(runbook.WithFreshProbes(ctx)).WritersNow()
	const format = "%s stopped mid-way when the screen closed (%w); it leaves: %s; nothing was undone: roll back (cockpit rollback) or run %s again"
	if err != nil {
		return actingError(fmt.Errorf(format, id, err, left, id))
	}
	return withCode(exitActionFailed, fmt.Errorf(format, id, errors.New(headline(out.Message)), left, id))
}

// headline is an outcome's words before its evidence ("S1 interrupted at
// route_writes=rust (context canceled)"): the journal keeps the rest.
func headline(msg string) string {
	head, _, _ := strings.Cut(firstLineOf(msg), ": ")
	return strings.TrimSpace(head)
}
