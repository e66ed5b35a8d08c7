package checks

import (
	"testing"
	"time"

	"github.com/openagents/cockpit/metrics"
)

func TestConditionFollowsForAndKeepFiringFor(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &Condition{For: 5 * time.Minute, KeepFiringFor: 2 * time.Minute}
	steps := []struct {
		at     time.Duration
		active bool
		want   ConditionState
	}{
		{0, false, Inactive},
		{time.Minute, true, PendingState},
		{5*time.Minute + 59*time.Second, true, PendingState}, // held 4m59s
		{6 * time.Minute, true, Firing},                      // held 5m
		{7 * time.Minute, false, Firing},                     // cleared, keeps firing
		{8*time.Minute + 59*time.Second, false, Firing},      // 1m59s after clearing
		{9 * time.Minute, false, Inactive},                   // 2m after clearing
		{10 * time.Minute, true, PendingState},               // a new breach starts over
		{11 * time.Minute, false, Inactive},                  // pending clears at once
	}
	for _, s := range steps {
		if got := c.Observe(s.active, t0.Add(s.at)); got != s.want {
			t.Fatalf("at +%s active=%t: state %s, want %s", s.at, s.active, got, s.want)
		}
	}
}

func TestConditionRebreachDuringKeepFiringStaysFiring(t *testing.T) {
	t0 := time.Now()
	c := &Condition{For: time.Minute, KeepFiringFor: 2 * time.Minute}
	c.Observe(true, t0)
	c.Observe(true, t0.Add(time.Minute))
	c.Observe(false, t0.Add(2*time.Minute))
	if got := c.Observe(true, t0.Add(3*time.Minute)); got != Firing {
		t.Fatalf("re-breach during keep_firing_for: %s, want firing", got)
	}
	// The keep-firing window restarts from the second clearing, not the first.
	c.Observe(false, t0.Add(4*time.Minute))
	if got := c.Observe(false, t0.Add(5*time.Minute)); got != Firing {
		t.Fatalf("1m after the second clearing: %s, want firing", got)
	}
}

func TestConditionZeroForFiresAtOnceAndIgnoresOldObservations(t *testing.T) {
	t0 := time.Now()
	c := &Condition{}
	if got := c.Observe(true, t0); got != Firing {
		t.Fatalf("for=0: %s, want firing", got)
	}
	if got := c.Observe(false, t0.Add(-time.Second)); got != Firing {
		t.Fatalf("an out-of-order observation changed the state to %s", got)
	}
	if got := c.HeldFor(t0.Add(3 * time.Second)); got != 3*time.Second {
		t.Fatalf("HeldFor = %s, want 3s", got)
	}
}

// A one-shot `check incidents` starts a fresh timer: the history must tell
// it how long the condition has held, or it would say pending forever.
func TestConditionReplayRestoresHowLongAConditionHeld(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	above := func(v float64) bool { return v > 0.02 }
	var history []metrics.Point
	for i, v := range []float64{0.01, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10} { // breached from +10s
		history = append(history, metrics.Point{T: t0.Add(time.Duration(i) * 10 * time.Second), V: v})
	}
	now := t0.Add(70 * time.Second)

	fresh := &Condition{For: 30 * time.Second}
	fresh.Replay(history, now, above)
	if got := fresh.Observe(true, now); got != Firing {
		t.Fatalf("after 60s of breach in the history: %s, want firing", got)
	}
	if held := fresh.HeldFor(now); held != time.Minute {
		t.Errorf("held for %s, want 1m0s (since the first breached point)", held)
	}

	short := &Condition{For: 30 * time.Second}
	short.Replay(history[:3], t0.Add(30*time.Second), above)
	if got := short.Observe(true, t0.Add(30*time.Second)); got != PendingState {
		t.Errorf("after 20s of breach: %s, want pending", got)
	}

	seen := &Condition{For: 30 * time.Second}
	seen.Observe(true, now.Add(-time.Second))
	seen.Replay(history, now, above)
	if held := seen.HeldFor(now); held != time.Second {
		t.Errorf("a timer that already observed must ignore Replay: held %s, want 1s", held)
	}
}
