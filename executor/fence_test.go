package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// fencedLock hands out a lease whose fence passes `passes` times, then
// fails as a lease taken over by a rollback does: a fake, because the point
// is the executor's answer (lock/ proves the fence with a real PostgreSQL).
type fencedLock struct {
	passes int32
	checks *atomic.Int32
}

func (l fencedLock) Acquire(context.Context, lock.Holder) (*lock.Lease, error) {
	return lock.NewFencedLease(func() error { return nil }, nil, func(context.Context) error {
		if l.checks.Add(1) > l.passes {
			return errors.New("preempted: rollback of bob@box takes the lock over")
		}
		return nil
	}), nil
}

// A forward step checks its fence before each actuator: once the lock is
// taken over, the next actuator never starts, and the step says why.
func TestAForwardStepStartsNoActuatorOnceItsLockIsTakenOver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	var checks atomic.Int32
	h.x.locker = fencedLock{passes: 1, checks: &checks}
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || out.OK || !strings.Contains(out.Message, "interrupted") || !strings.Contains(out.Message, "lock lost: preempted") {
		t.Fatalf("S1 preempted after its first sub-step: %+v %v, want interrupted naming the preemption", out, err)
	}
	if h.file("mode") != "rust_active" {
		t.Errorf("the first sub-step, before the takeover, did not run: mode %q", h.file("mode"))
	}
	if h.file("target") != "" || h.file("freeze") != "" {
		t.Errorf("an actuator started after the takeover: target %q, freeze %q", h.file("target"), h.file("freeze"))
	}
	if n := checks.Load(); n != 2 {
		t.Errorf("fence checked %d times, want once before each of the two actuators that could start", n)
	}
}

// A rollback is never fenced: its lease being taken does not stop it.
func TestARollbackIsNotFenced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	var checks atomic.Int32
	h.x.locker = fencedLock{passes: 0, checks: &checks}
	p, err := h.x.Plan(t.Context(), runbook.RollbackID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || !out.OK {
		t.Fatalf("rollback: %+v %v", out, err)
	}
	if checks.Load() != 0 {
		t.Errorf("the rollback checked a fence %d times", checks.Load())
	}
}

// R1's actuator fails and its target never shows: R2 and R3 act while R1
// is observed (its outcome comes at verify_timeout), and the final
// observation names R1.
func TestARollbackActsOnTheNextRStepWhileAFailedOneIsObserved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false, "set_rust_write_mode")
	p, err := h.x.Plan(t.Context(), runbook.RollbackID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || out.OK || len(out.Failed) != 1 || out.Failed[0] != "R1" || !strings.Contains(out.Message, "NOT rolled back: R1") {
		t.Fatalf("rollback with R1 failing: %+v %v, want it failed naming R1 only", out, err)
	}
	at := map[string]int{}
	for i, r := range h.records(t) {
		id, _, _ := strings.Cut(r.Check, " ")
		if _, ok := at[r.Kind+id]; !ok && r.Step == runbook.RollbackID {
			at[r.Kind+id] = i
		}
	}
	for _, id := range []string{"R2", "R3"} {
		if at[journal.KindIntent+id] > at[journal.KindOutcome+"R1"] {
			t.Errorf("%s acted only after R1's verify_timeout ran out", id)
		}
	}
}

// After taking the lock over, the final observation watches: a change the
// preempted step's actuator lands after R1 was verified is seen, R1 is
// re-applied, and the outcome says so.
func TestTheFinalObservationReappliesAnRStepALateChangeUndid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	p, err := h.x.Plan(t.Context(), runbook.RollbackID)
	if err != nil {
		t.Fatal(err)
	}
	obs := &serialWorld{w: h.world}
	var acted []*rStep
	for _, s := range p.steps {
		acted = append(acted, h.x.actRStep(t.Context(), obs, "alice", s, func(Progress) {}))
	}
	for _, r := range acted {
		<-r.done
	}
	landed := make(chan struct{})
	go func() { // the preempted S1's deploy lands during the watch
		defer close(landed)
		time.Sleep(300 * time.Millisecond)
		_ = os.WriteFile(filepath.Join(h.world.dir, "mode"), []byte("rust_active"), 0o600)
	}()
	line := h.x.settle(t.Context(), obs, "alice", acted, []lock.Holder{{Operator: "carol", Step: "S1"}}, func(Progress) {})
	<-landed
	if !strings.Contains(line, "exactly one writer") || !strings.Contains(line, "re-applied R1 after a late change") {
		t.Errorf("final line %q, want one writer after re-applying R1", line)
	}
	if h.file("mode") != "shadow_only" || !acted[0].ok {
		t.Errorf("after the final observation: mode %q, R1 ok %v", h.file("mode"), acted[0].ok)
	}
}

// A late change can hide an R-step's target instead of showing another
// value (writes routed to a frozen Rust leave no write share to read): a
// target that stays unreadable after the takeover is re-applied too.
func TestTheFinalObservationReappliesAnRStepWhoseTargetStaysUnreadable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	p, err := h.x.Plan(t.Context(), runbook.RollbackID)
	if err != nil {
		t.Fatal(err)
	}
	obs := &serialWorld{w: h.world}
	var acted []*rStep
	for _, s := range p.steps {
		acted = append(acted, h.x.actRStep(t.Context(), obs, "alice", s, func(Progress) {}))
	}
	for _, r := range acted {
		<-r.done
	}
	if err := os.Remove(filepath.Join(h.world.dir, "target")); err != nil {
		t.Fatal(err)
	}
	line := h.x.settle(t.Context(), obs, "alice", acted, []lock.Holder{{Operator: "carol", Step: "S1"}}, func(Progress) {})
	if !strings.Contains(line, "exactly one writer") || !strings.Contains(line, "re-applied R3") {
		t.Errorf("final line %q, want one writer after re-applying R3", line)
	}
	if h.file("target") != "legacy" {
		t.Errorf("after the final observation the write target is %q", h.file("target"))
	}
}
