package executor

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// artifactTimeout bounds R4 once the rollback's own context is gone: the
// artifacts are collected even after Ctrl-C.
const artifactTimeout = 2 * time.Minute

// rollbackSteps is R1–R3. An actuator that cannot be resolved becomes a
// sub-step that fails with the reason, so the rest of the rollback still
// runs and R4 still collects the artifacts.
func (x *Executor) rollbackSteps(env *config.Environment) ([]subStep, error) {
	build := []struct {
		id   string
		make func() (subStep, error)
	}{
		{"R1", func() (subStep, error) { return x.writeModeStep(env, "shadow_only") }},
		{"R2", func() (subStep, error) { return x.freezeStep(env, false) }},
		{"R3", func() (subStep, error) { return x.routeStep(env, "legacy") }},
	}
	steps := make([]subStep, 0, len(build))
	for _, b := range build {
		s, err := b.make()
		if err != nil {
			msg := err.Error()
			s = subStep{act: func(context.Context) (bool, string) { return false, msg }}
		}
		s.name = b.id + " " + s.name
		steps = append(steps, s)
	}
	return steps, nil
}

// runRollback acts R1, R2 and R3 one after the other without waiting on
// one's verification to act on the next (each is observed in the
// background until its target shows or verify_timeout), always runs R4,
// then lets a final observation decide (settle): the outcome is OK only
// when it shows every R-step's target, and it names every R-step that
// failed.
func (x *Executor) runRollback(ctx context.Context, p Plan, a Approval, progress func(Progress), tookOver []lock.Holder) (Outcome, error) {
	progress = serialProgress(progress)
	obs := &serialWorld{w: x.world}
	var acted []*rStep
	for _, s := range p.steps {
		acted = append(acted, x.actRStep(ctx, obs, a.Operator, s, progress))
	}
	for _, r := range acted {
		<-r.done
	}

	started := x.opts.Now()
	progress(Progress{Step: runbook.RollbackID, SubStep: "R4 collect artifacts", Message: "started", Started: started})
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), artifactTimeout)
	defer cancel()
	dir, err := x.collectArtifacts(actx, a.Operator, func(msg string) {
		progress(Progress{Step: runbook.RollbackID, SubStep: "R4 collect artifacts", Message: msg, Started: started, At: x.opts.Now()})
	})
	r4ok := err == nil
	x.record(journal.Record{Kind: journal.KindOutcome, Step: runbook.RollbackID, Check: "R4 collect artifacts", Operator: a.Operator,
		OK: &r4ok, Message: dir})
	progress(Progress{Step: runbook.RollbackID, SubStep: "R4 collect artifacts", Message: "artifacts in " + dir, Started: started})

	final := x.settle(ctx, obs, a.Operator, acted, tookOver, progress)
	out := Outcome{Step: runbook.RollbackID, ArtifactDir: dir}
	var parts []string
	for _, r := range acted {
		out.Steps = append(out.Steps, StepResult{ID: r.id, Verified: r.ok, Message: firstLine(r.msg)})
		if r.ok {
			parts = append(parts, r.id+" ok")
		} else {
			out.Failed = append(out.Failed, r.id)
			parts = append(parts, fmt.Sprintf("%s FAILED (%s)", r.id, firstLine(r.msg)))
		}
	}
	if r4ok {
		parts = append(parts, "R4 ok")
	} else {
		out.Failed = append(out.Failed, "R4")
		parts = append(parts, fmt.Sprintf("R4 FAILED (%v)", err))
	}
	out.Steps = append(out.Steps, StepResult{ID: "R4", Verified: r4ok, Message: cmp.Or(dir, fmt.Sprint(err))})
	out.OK = len(out.Failed) == 0
	out.Message = "rollback ran to the end: " + strings.Join(parts, ", ") + "; " + final
	if dir != "" {
		out.Message += "; artifacts in " + dir
	}
	ok := out.OK
	x.record(journal.Record{Kind: journal.KindOutcome, Step: runbook.RollbackID, Operator: a.Operator, OK: &ok, Message: out.Message})
	return out, nil
}

// rollbackOrderGrace is how long an R-step whose actuator succeeded is
// given to show its target before the next R-step acts: the order matters
// for the seconds a restart takes, never for a whole verify_timeout.
const rollbackOrderGrace = 10 * time.Second

// rStep is an R-step in flight: acted, then observed in the background.
// ok and msg are valid once done is closed; settle may change them.
type rStep struct {
	id   string
	s    subStep
	done chan struct{}
	ok   bool
	msg  string
}

func (r *rStep) finish(ok bool, msg string) {
	r.ok, r.msg = ok, msg
	close(r.done)
}

// actRStep acts one R-step (unless already in place) and observes it in
// the background; it returns once the target shows, the actuator failed, or
// rollbackOrderGrace passed.
func (x *Executor) actRStep(ctx context.Context, obs *serialWorld, operator string, s subStep, progress func(Progress)) *rStep {
	id, _, _ := strings.Cut(s.name, " ")
	r := &rStep{id: id, s: s, done: make(chan struct{})}
	started := x.opts.Now()
	report := func(msg string) {
		progress(Progress{Step: runbook.RollbackID, SubStep: s.name, Message: msg, Started: started, At: x.opts.Now()})
	}
	if ok, msg := x.inPlace(ctx, obs.Observe, runbook.RollbackID, operator, s, report); ok {
		r.finish(true, msg)
		return r
	}
	ok, msg, callFailed := x.callStep(ctx, runbook.RollbackID, operator, s, report)
	go func() {
		r.finish(x.observeStep(ctx, obs.Observe, runbook.RollbackID, operator, s, started, stepCall{ok, msg, callFailed}, report))
	}()
	if !ok {
		return r // observed in the background while the next R-step acts
	}
	t := time.NewTimer(rollbackOrderGrace)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		report("not observed yet: the next R-step acts while this one is watched")
	case <-ctx.Done():
	}
	return r
}

// serialWorld lets the R-steps' background observers and the next R-step
// share the world one observation at a time.
type serialWorld struct {
	mu sync.Mutex
	w  World
}

func (o *serialWorld) Observe(ctx context.Context) runbook.State {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Observe(ctx)
}

// serialProgress lets concurrent R-steps report through one callback.
func serialProgress(progress func(Progress)) func(Progress) {
	var mu sync.Mutex
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress(p)
	}
}
