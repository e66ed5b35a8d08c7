package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/openagents/cockpit/runbook"
)

// screen runs the real program with teatest at a fixed size, waits for the
// first observation to be drawn, lets keys act, and goldens the final view
// (regenerate with `go test ./tui -update`).
func screen(t *testing.T, o Options, s runbook.State, w, h int, act func(tm *teatest.TestModel), until string) {
	t.Helper()
	m := newFixedModel(t, o, s)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	// The list's cursor is drawn only once a round has landed ("INCIDENT"
	// would match "INCIDENTS: not observed yet" of the frame before it).
	first := "▶"
	if w < minWidth || h < minHeight {
		first = "terminal too small"
	}
	waitFor(t, tm, first)
	if act != nil {
		act(tm)
		waitFor(t, tm, until)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	teatest.RequireEqualOutput(t, []byte(final.View().Content))
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func press(tm *teatest.TestModel, keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		tm.Send(k)
	}
}

func TestGoldenHealthy(t *testing.T) {
	screen(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50, nil, "")
}

func TestGoldenStale(t *testing.T) {
	screen(t, Options{Mode: Watch}, staleState(), 200, 50, nil, "")
}

func TestGoldenIncidentFiring(t *testing.T) {
	screen(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50, nil, "")
}

func TestGoldenConfirmDialog(t *testing.T) {
	k := DefaultKeyMap(false)
	screen(t, Options{Mode: Operate, Actor: &fakeActor{plan: greenPlan(false)}}, healthyState(), 200, 50,
		func(tm *teatest.TestModel) {
			press(tm, keyFor(k.Down), keyFor(k.Down), keyFor(k.Down), keyFor(k.Down), keyFor(k.Run))
		}, "confirming opens in a moment") // the clock stands still: within the grace (scenes show it past)
}

func TestGoldenProductionTypedConfirmation(t *testing.T) {
	k, ck := DefaultKeyMap(false), DefaultConfirmKeyMap()
	p := greenPlan(true)
	p.GatesGreen = false
	screen(t, Options{Env: "production", Production: true, Mode: Operate, Actor: &fakeActor{plan: p}}, healthyState(), 200, 50,
		func(tm *teatest.TestModel) {
			press(tm, keyFor(k.Down), keyFor(k.Down), keyFor(k.Down), keyFor(k.Down), keyFor(k.Run))
			waitFor(t, tm, "CONFIRM")
			tm.Type("prod")
			press(tm, keyFor(ck.Confirm))
		}, "nothing runs until")
}

func TestGoldenWatchRefusesActions(t *testing.T) {
	k := DefaultKeyMap(false)
	screen(t, Options{Mode: Watch}, firingState(), 200, 50,
		func(tm *teatest.TestModel) { press(tm, keyFor(k.Rollback)) }, "read-only: use")
}

func TestGoldenNarrowStacked(t *testing.T) {
	screen(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 100, 40, nil, "")
}

func TestGoldenTooSmall(t *testing.T) {
	screen(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 70, 20, nil, "")
}

// BenchmarkView is the cost of building a full frame at 200×50: a message
// that changes nothing but the frame's clock, and the frame Update then
// draws (a kept frame would measure nothing).
func BenchmarkView(b *testing.B) {
	m := newTestModel(b, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		m.Update(progressClosedMsg{}) // each frame built anew, not the kept one
		_ = m.View().Content
	}
}

// BenchmarkViewEvidence is BenchmarkView with the evidence pane open
// beside the list (e): the pane's lines are wrapped when its content or
// width changes, not on every frame.
func BenchmarkViewEvidence(b *testing.B) {
	m := newTestModel(b, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	m.Update(keyFor(m.keys.Evidence))
	if !m.showEvidence {
		b.Fatal("the evidence pane did not open")
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(progressClosedMsg{}) // each frame built anew, not the kept one
		_ = m.View().Content
	}
}

func TestGoldenTwoWriters80x24(t *testing.T) {
	screen(t, Options{Mode: Operate, Actor: &fakeActor{}}, twoWritersState(), 80, 24, nil, "")
}

// BenchmarkNewState is the cost of taking one observation round: the
// panes' sparklines and, from 120×40, their charts are drawn here.
func BenchmarkNewState(b *testing.B) {
	s := firingState()
	m := newTestModel(b, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	b.ReportAllocs()
	for b.Loop() {
		m.Update(StateMsg{Seq: m.obs.seq, State: s})
		m.obs.inFlight = true
	}
}

// BenchmarkTimelineRecords is the cost of a round's journal read reaching
// the timeline: nothing new, the common case, at the timeline's bound.
func BenchmarkTimelineRecords(b *testing.B) {
	m := newTestModel(b, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	recs := cutoverJournal()
	for len(recs) < timelineKeep {
		recs = append(recs, cutoverJournal()...)
	}
	recs = recs[:timelineKeep]
	b.ReportAllocs()
	for b.Loop() {
		m.Update(journalMsg{Records: recs})
	}
}
