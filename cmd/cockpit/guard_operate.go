package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/tui"
)

// screenGuard runs, beside an acting screen whose environment writes a
// guard: block, the runner `cockpit guard` runs (same core, executor, lock
// and journal, approval guard), so the team needs no second process; the
// header shows it from the journal, c cancels it there. Two guards on one
// environment still act once: the rollback lock decides. stop ends it
// when the screen closes, waiting for a rollback it started to end.
func screenGuard(ctx context.Context, fac *factory.Factory, mode tui.Mode, errOut io.Writer) (stop func(), err error) {
	env, _ := fac.Environment()
	if mode == tui.Watch || env == nil || !env.Guard.Configured {
		return func() {}, nil
	}
	r, err := guardRunner(fac)
	if err != nil {
		return nil, err
	}
	logger, _ := fac.Logger()
	r.Out = guardLog{logger, func(o *executor.Outcome) { _ = executor.Journaled(r.Journal, o, true) }}
	r.Metrics = guardMetrics(fac) // the screen's --metrics-addr
	gctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(gctx)
	}()
	return func() {
		cancel(errors.New("the screen closed"))
		select {
		case <-done:
		case <-time.After(time.Second):
			fmt.Fprintln(errOut, "cockpit: waiting for the screen's guard to stop: a rollback it started runs to its end (a second signal aborts it); progress in the journal and the log")
			<-done
		}
	}, nil
}

// guardLog is the screen's guard output: its log (the header and the
// timeline read the journal).
type guardLog struct {
	l *slog.Logger
	// fallback adds the journal's fallback to the rollback's outcome.
	fallback func(*executor.Outcome)
}

func (g guardLog) Told(d guard.Decision, verdict, line string) {
	g.l.Info("guard", "state", verdict, "criterion", d.Criterion, "line", line, "reason", d.Reason)
}

func (g guardLog) Plan(p executor.Plan) { g.l.Info("guard plan", "step", p.ID, "env", p.Env) }

func (g guardLog) Progress(p executor.Progress) {
	g.l.Info("guard progress", "step", p.Step, "sub_step", p.SubStep, "message", p.Message)
}

func (g guardLog) Outcome(o *executor.Outcome) {
	g.fallback(o)
	g.l.Info("guard outcome", "step", o.Step, "ok", o.OK, "message", o.Message)
}
