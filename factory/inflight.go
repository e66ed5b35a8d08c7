package factory

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
)

// Inflight is the screen's door to the executor, keeping track of the
// action in flight so the process never ends under it. The screen may go
// at any moment (q, a signal, a dropped SSH session): a forward step is then
// stopped at its next safe point by the screen's cancelled context, while a
// rollback runs on the program's second-signal context and reaches its end
// without the terminal, its progress going to the log. Either way the
// process can say how the action ended (Wait), and what a step stopped
// mid-way left (Left).
type Inflight struct {
	x        *executor.Executor
	logger   *slog.Logger
	rollback context.Context // cancelled only by a second signal
	// observe reads the world once more when a step stopped mid-way.
	observe func(context.Context) runbook.State

	wg      sync.WaitGroup
	mu      sync.Mutex
	running string // the action in flight, "" when none
	last    Ended
}

// Ended is how an action the screen ran ended.
type Ended struct {
	ID string
	// Writes says the action writes (a step), not only checks.
	Writes  bool
	Outcome executor.Outcome
	Err     error
	// Stopped says its context was cancelled under it: the screen quit (or
	// was signalled) while it ran, so nobody saw its end.
	Stopped bool
}

// Inflight is the acting screen's actor: the executor, tracked; ctx is the
// program's (its second-signal context runs a rollback).
func (f *Factory) Inflight(ctx context.Context) (*Inflight, error) {
	x, err := f.Executor()
	if err != nil {
		return nil, err
	}
	return &Inflight{x: x, logger: f.logger, rollback: RollbackContext(ctx), observe: f.engine.Observe}, nil
}

// Plan plans id through the executor.
func (a *Inflight) Plan(ctx context.Context, id string) (executor.Plan, error) {
	return a.x.Plan(ctx, id)
}

// Execute runs p through the executor, a rollback on the context only a
// second signal cancels, its progress logged too.
func (a *Inflight) Execute(ctx context.Context, p executor.Plan, ap executor.Approval, report func(executor.Progress)) (executor.Outcome, error) {
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
	a.running, a.last = "", Ended{ID: p.ID, Writes: p.Writes, Outcome: out, Err: err, Stopped: ctx.Err() != nil}
	a.mu.Unlock()
	return out, err
}

// Running is the action in flight ("" when none), and whether the last
// action was stopped under the screen.
func (a *Inflight) Running() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running, a.last.Stopped
}

// Wait waits for the action in flight and says how the last one ended.
func (a *Inflight) Wait() Ended {
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// leftTimeout bounds the observation that says what a stopped step left.
const leftTimeout = 15 * time.Second

// Left observes the world once more (fresh probes, past the first signal)
// and says which runtimes take writes now.
func (a *Inflight) Left() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.rollback), leftTimeout)
	defer cancel()
	return a.observe(runbook.WithFreshProbes(ctx)).WritersNow()
}
