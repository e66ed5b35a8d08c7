package runbook

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
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

// runRollback runs R1, R2 and R3 each to its end whatever the others did,
// then always R4. The outcome names every R-step that failed.
func (x *Executor) runRollback(ctx context.Context, p Plan, a Approval, progress func(Progress)) (Outcome, error) {
	out := Outcome{Step: RollbackID}
	var parts []string
	for _, s := range p.steps {
		ok, msg := x.runStep(ctx, RollbackID, a.Operator, s, progress)
		id, _, _ := strings.Cut(s.name, " ")
		out.Steps = append(out.Steps, StepResult{ID: id, Verified: ok, Message: firstLine(msg)})
		if ok {
			parts = append(parts, id+" ok")
		} else {
			out.Failed = append(out.Failed, id)
			parts = append(parts, fmt.Sprintf("%s FAILED (%s)", id, firstLine(msg)))
		}
	}

	started := x.opts.Now()
	progress(Progress{Step: RollbackID, SubStep: "R4 collect artifacts", Message: "started", Started: started})
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), artifactTimeout)
	defer cancel()
	dir, err := x.collectArtifacts(actx, a.Operator, func(msg string) {
		progress(Progress{Step: RollbackID, SubStep: "R4 collect artifacts", Message: msg, Started: started, At: x.opts.Now()})
	})
	r4ok := err == nil
	if err != nil {
		out.Failed = append(out.Failed, "R4")
		parts = append(parts, fmt.Sprintf("R4 FAILED (%v)", err))
	} else {
		parts = append(parts, "R4 ok")
	}
	out.ArtifactDir = dir
	out.Steps = append(out.Steps, StepResult{ID: "R4", Verified: r4ok, Message: cmp.Or(dir, fmt.Sprint(err))})
	x.record(journal.Record{Kind: journal.KindOutcome, Step: RollbackID, Check: "R4 collect artifacts", Operator: a.Operator,
		OK: &r4ok, Message: dir})
	progress(Progress{Step: RollbackID, SubStep: "R4 collect artifacts", Message: "artifacts in " + dir, Started: started})

	out.OK = len(out.Failed) == 0
	out.Message = "rollback ran to the end: " + strings.Join(parts, ", ")
	if dir != "" {
		out.Message += "; artifacts in " + dir
	}
	ok := out.OK
	x.record(journal.Record{Kind: journal.KindOutcome, Step: RollbackID, Operator: a.Operator, OK: &ok, Message: out.Message})
	return out, nil
}
