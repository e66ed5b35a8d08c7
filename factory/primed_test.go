package factory

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/runbook"
)

// countingObserver numbers its rounds in State.Env and holds each round
// until release says so.
type countingObserver struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (o *countingObserver) Observe(ctx context.Context) runbook.State {
	n := o.calls.Add(1)
	o.started <- struct{}{}
	select {
	case <-o.release:
	case <-ctx.Done():
	}
	return runbook.State{Env: string(rune('0' + n))}
}

// awaitStart waits for a round to start, failing the test when none does.
func (o *countingObserver) awaitStart(t *testing.T) {
	t.Helper()
	select {
	case <-o.started:
	case <-time.After(30 * time.Second):
		t.Fatal("no observation round started before the screen asked for one")
	}
}

func newCountingObserver() *countingObserver {
	return &countingObserver{started: make(chan struct{}, 8), release: make(chan struct{}, 8)}
}

// The first round starts before the screen asks for it, and the screen's
// first Observe gets that round, not a second one; later rounds are fresh.
func TestPrimedObserverStartsTheFirstRoundBeforeTheScreenAsks(t *testing.T) {
	t.Parallel()
	src := newCountingObserver()
	p := Prime(t.Context(), src, time.Minute)
	src.awaitStart(t) // primed: nobody has called Observe yet
	src.release <- struct{}{}
	if st := p.Observe(t.Context()); st.Env != "1" || src.calls.Load() != 1 {
		t.Fatalf("first Observe: round %q after %d calls, want the primed round 1 after 1", st.Env, src.calls.Load())
	}
	src.release <- struct{}{}
	if st := p.Observe(t.Context()); st.Env != "2" {
		t.Errorf("second Observe: round %q, want a fresh round 2", st.Env)
	}
}

// A screen that stops waiting for the primed round (its round's deadline)
// is not held: it gets its own round, which ends with its context.
func TestPrimedObserverDoesNotHoldAScreenPastItsDeadline(t *testing.T) {
	t.Parallel()
	src := newCountingObserver()
	p := Prime(t.Context(), src, time.Minute)
	src.awaitStart(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if st := p.Observe(ctx); st.Env != "2" {
		t.Errorf("Observe past its deadline: round %q, want its own round 2 (the primed one still running)", st.Env)
	}
	src.release <- struct{}{} // the primed round ends on its own
}
