package tui

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
)

// openDialog selects S1 and presses enter, then delivers the executor's plan.
func openDialog(t *testing.T, m *Model) {
	t.Helper()
	for m.list.Selected().ID != "S1" {
		m.Update(keyFor(m.keys.Down))
	}
	_, cmd := m.Update(keyFor(m.keys.Run))
	m.Update(await[planMsg](t, launch(cmd)))
	if m.dialog == nil {
		t.Fatal("no confirm dialog after the plan arrived")
	}
	// The tests' clock stands still: the dialog has been read for long
	// enough to confirm (TestADoubleTappedEnterDoesNotConfirm checks the grace).
	m.dialog.opened = m.dialog.opened.Add(-confirmGrace)
}

// Enter opens the dialog; a second Enter at once (a double tap, keys that
// arrived together) must not run the step unread.
func TestADoubleTappedEnterDoesNotConfirm(t *testing.T) {
	actor := &fakeActor{plan: greenPlan(false)}
	m := newTestModel(t, Options{Mode: Operate, Actor: actor}, healthyState(), 200, 50)
	for m.list.Selected().ID != "S1" {
		m.Update(keyFor(m.keys.Down))
	}
	_, cmd := m.Update(keyFor(m.keys.Run))
	m.Update(await[planMsg](t, launch(cmd)))
	if m.dialog == nil {
		t.Fatal("no confirm dialog after the plan arrived")
	}
	_, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	actor.mu.Lock()
	ran := len(actor.executed)
	actor.mu.Unlock()
	if m.dialog == nil || cmd != nil || ran != 0 {
		t.Fatal("the second Enter ran the step before the plan could be read")
	}
	if !strings.Contains(m.View().Content, "read the plan first") {
		t.Errorf("the dialog does not say why Enter did nothing:\n%s", m.View().Content)
	}
}

func TestNoOrEscapeCancelsAndNothingRuns(t *testing.T) {
	for name, cancel := range map[string]tea.KeyPressMsg{
		"n":   keyFor(DefaultConfirmKeyMap().CancelLetter),
		"esc": keyFor(DefaultConfirmKeyMap().Cancel),
	} {
		t.Run(name, func(t *testing.T) {
			actor := &fakeActor{plan: greenPlan(false)}
			m := newTestModel(t, Options{Mode: Operate, Actor: actor}, healthyState(), 200, 50)
			openDialog(t, m)
			_, cmd := m.Update(cancel)
			if m.dialog != nil {
				t.Fatal("dialog still open after cancel")
			}
			if cmd != nil {
				t.Fatal("cancel returned a command")
			}
			if _, executed := actor.counts(); executed != 0 {
				t.Fatalf("Execute called %d times after cancel", executed)
			}
			if !strings.Contains(m.View().Content, "cancelled: S1 not run") {
				t.Fatalf("screen does not say the step was not run:\n%s", m.View().Content)
			}
		})
	}
}

func TestProductionNeedsTheEnvironmentNameTyped(t *testing.T) {
	actor := &fakeActor{plan: greenPlan(true)}
	m := newTestModel(t, Options{Env: "production", Production: true, Mode: Operate, Actor: actor}, healthyState(), 200, 50)
	openDialog(t, m)

	m.Update(keyFor(m.confirm.Confirm))
	typeText(m, "staging")
	m.Update(keyFor(m.confirm.Confirm))
	if m.dialog == nil || m.action != nil {
		t.Fatal("a wrong environment name started the action")
	}
	if !strings.Contains(m.View().Content, `type the environment name "production" to confirm`) {
		t.Fatalf("no hint to type the name:\n%s", m.View().Content)
	}
	// "n" is text here (it is in "production"), not a cancel.
	for range "staging" {
		m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	typeText(m, "production")
	_, cmd := m.Update(keyFor(m.confirm.Confirm))
	if m.action == nil {
		t.Fatal("typing the name and confirming did not start the action")
	}
	out := await[outcomeMsg](t, launch(cmd))
	if !out.Outcome.OK {
		t.Fatalf("outcome %+v", out)
	}
	if got := actor.executed[0]; got.TypedEnv != "production" || got.Via != "tui" {
		t.Fatalf("approval %+v", got)
	}
}

func TestGatesNotGreenNeedAnOverrideReason(t *testing.T) {
	p := greenPlan(false)
	p.GatesGreen = false
	actor := &fakeActor{plan: p}
	m := newTestModel(t, Options{Mode: Operate, Actor: actor, Operator: "alice"}, healthyState(), 200, 50)
	openDialog(t, m)

	m.Update(keyFor(m.confirm.Confirm))
	if m.action != nil || !strings.Contains(m.View().Content, "type an override reason") {
		t.Fatalf("confirmed without a reason:\n%s", m.View().Content)
	}
	typeText(m, "parity report is from the previous build")
	_, cmd := m.Update(keyFor(m.confirm.Confirm))
	await[outcomeMsg](t, launch(cmd))
	got := actor.executed[0]
	if got.OverrideReason != "parity report is from the previous build" || got.Operator != "alice" {
		t.Fatalf("approval %+v", got)
	}
}

func TestSecondActionIsRefusedWhileOneRuns(t *testing.T) {
	actor := &fakeActor{plan: greenPlan(false), release: make(chan struct{}),
		progress: []executor.Progress{{Step: "S1", SubStep: "set_rust_write_mode", Message: "gcloud run services update", Started: clock, At: clock.Add(-12 * time.Second)}}}
	defer close(actor.release)
	m := newTestModel(t, Options{Mode: Operate, Actor: actor}, healthyState(), 200, 50)
	openDialog(t, m)
	_, cmd := m.Update(keyFor(m.confirm.Confirm))
	m.Update(await[progressMsg](t, launch(cmd)))

	view := m.View().Content
	if !strings.Contains(view, "RUNNING S1 › set_rust_write_mode: gcloud run services update (12s ago)") {
		t.Fatalf("no live progress:\n%s", view)
	}
	for _, k := range []tea.KeyPressMsg{keyFor(m.keys.Rollback), keyFor(m.keys.WriteProbe), keyFor(m.keys.Run)} {
		if _, cmd := m.Update(k); cmd != nil {
			t.Fatalf("%s started something while S1 runs", k)
		}
	}
	if planned, _ := actor.counts(); planned != 1 {
		t.Fatalf("planned %d actions, want 1", planned)
	}
	if !strings.Contains(m.status, "S1 is running") {
		t.Fatalf("status %q", m.status)
	}
	// The screen keeps refreshing while the action runs.
	if _, cmd := m.Update(tickMsg{}); cmd == nil {
		t.Fatal("no observation round while an action runs")
	}
}

func TestCtrlCDuringAnActionAsksThenCancelsTheExecutor(t *testing.T) {
	actor := &fakeActor{plan: greenPlan(false), release: make(chan struct{}), cancelled: make(chan struct{})}
	m := newTestModel(t, Options{Mode: Operate, Actor: actor}, healthyState(), 200, 50)
	openDialog(t, m)
	_, run := m.Update(keyFor(m.confirm.Confirm))
	msgs := launch(run)

	if _, cmd := m.Update(keyFor(m.keys.ForceQuitOrNo)); cmd != nil || !m.askAbandon {
		t.Fatal("ctrl+c during an action did not ask first")
	}
	m.Update(keyFor(m.menu.No))
	select {
	case <-actor.cancelled:
		t.Fatal("answering no cancelled the action")
	case <-time.After(50 * time.Millisecond):
	}
	m.Update(keyFor(m.keys.ForceQuitOrNo))
	m.Update(keyFor(m.menu.Yes))
	<-actor.cancelled
	out := await[outcomeMsg](t, msgs)
	if !errors.Is(out.Err, context.Canceled) {
		t.Fatalf("executor saw %v, want its context cancelled", out.Err)
	}
	_, cmd := m.Update(out)
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("the program did not quit after the abandoned action returned")
	}
}

func TestWatchModeActionKeysOnlySayReadOnly(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, firingState(), 200, 50)
	for _, tt := range []struct {
		key    tea.KeyPressMsg
		action string
	}{
		{keyFor(m.keys.Run), m.list.Selected().ID},
		{keyFor(m.keys.Rollback), runbook.RollbackID},
		{keyFor(m.keys.WriteProbe), runbook.WriteProbeID},
	} {
		m.status = ""
		if _, cmd := m.Update(tt.key); cmd != nil {
			t.Fatalf("%s returned a command in watch mode", tt.key)
		}
		if want := readOnlyMessage + " (" + tt.action + " not run)"; m.status != want || m.dialog != nil {
			t.Fatalf("%s: status %q, want %q and no dialog", tt.key, m.status, want)
		}
	}
}

func TestWatchModeRefusesAnActor(t *testing.T) {
	_, err := New(context.Background(), Options{Mode: Watch, Observer: &fakeObserver{}, Actor: &fakeActor{}})
	if err == nil {
		t.Fatal("watch mode accepted an executor")
	}
}

func TestOlderObservationIsDroppedAndRoundsNeverOverlap(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 200, 50)
	first := m.obs.seq
	if _, cmd := m.Update(tickMsg{}); cmd == nil {
		t.Fatal("tick did not start a round")
	}
	if _, cmd := m.Update(keyFor(m.keys.Refresh)); cmd != nil {
		t.Fatal("refresh started a second round while one is in flight")
	}
	m.Update(StateMsg{Seq: first, State: firingState()})
	if strings.Contains(m.View().Content, "FIRING") {
		t.Fatal("a reply from an older round replaced the newer state")
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: firingState()})
	if !strings.Contains(m.View().Content, "FIRING") {
		t.Fatal("the current round's reply was not shown")
	}
}

func TestPendingIncidentShowsItsTimer(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, firingState(), 200, 50)
	if !strings.Contains(m.View().Content, "drift: pending 2m of 5m") {
		t.Fatalf("no pending timer:\n%s", m.View().Content)
	}
}

func TestInstructorMenuTogglesAFault(t *testing.T) {
	type call struct {
		name string
		on   bool
	}
	calls := make(chan call, 1)
	faults := func(_ context.Context, name string, on bool) error { calls <- call{name, on}; return nil }
	m := newTestModel(t, Options{Mode: Rehearsal, Actor: &fakeActor{}, Faults: faults, FaultNames: []string{"error-spike", "critical-parity"}}, healthyState(), 200, 50)
	m.Update(keyFor(m.keys.Faults))
	m.Update(keyFor(m.menu.Down))
	_, cmd := m.Update(keyFor(m.menu.Toggle))
	m.Update(await[faultMsg](t, launch(cmd)))
	if got := <-calls; got != (call{"critical-parity", true}) {
		t.Fatalf("toggled %+v", got)
	}
	if !strings.Contains(m.View().Content, "[ ON  ] critical-parity") {
		t.Fatalf("menu does not show the fault on:\n%s", m.View().Content)
	}
}

func TestFaultKeyDoesNothingOutsideRehearsal(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50)
	m.Update(keyFor(DefaultKeyMap(true).Faults))
	if m.faults != nil && m.faults.Visible() || strings.Contains(m.View().Content, "INSTRUCTOR") {
		t.Fatal("the fault menu opened outside rehearsal")
	}
}

func TestFirstFullPaintIsLoggedOnce(t *testing.T) {
	var log strings.Builder
	o := Options{Mode: Operate, Actor: &fakeActor{}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	m := newTestModel(t, o, runbook.State{}, 200, 50)
	m.View()
	if strings.Contains(log.String(), "first full paint") {
		t.Fatalf("a frame without an observation was logged as the first full paint: %s", log.String())
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: healthyState()})
	m.View()
	m.View()
	if n := strings.Count(log.String(), "first full paint after 0ms"); n != 1 {
		t.Fatalf("logged %d first full paints, want 1: %s", n, log.String())
	}
}

// A round's tick changes nothing shown, so it draws nothing: a frame drawn
// then would read every age a second older until the round lands a moment
// later. The round that lands draws the ages as they are.
func TestARoundsTickRedrawsNothing(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 160, 48)
	before := m.View().Content
	later := clock.Add(time.Second)
	m.c.now = func() time.Time { return later }
	m.Update(tickMsg{})
	if after := m.View().Content; after != before {
		t.Fatalf("the tick redrew the screen:\n%s", after)
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: healthyState()}) // no new data: a second older
	if title := lineWith(m.View().Content, "ERROR RATE"); !strings.Contains(title, "3s") {
		t.Errorf("the round after the tick does not show the data a second older: %q", title)
	}
}

// A reason pasted into the confirm dialog (bracketed paste: one message)
// is typed text, what a terminal cannot print left out; outside a text
// field a paste does nothing.
func TestAPastedReasonFillsTheConfirmField(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	m.Update(tea.PasteMsg{Content: "q"}) // no dialog: not a quit key
	if m.quitting {
		t.Fatal("a paste outside a dialog acted as a key")
	}
	_, cmd := m.Update(keyFor(m.keys.Rollback))
	m.Update(cmd())
	if m.dialog == nil || !m.dialog.needReason {
		t.Fatal("no confirm dialog asking for a reason after r")
	}
	m.Update(tea.PasteMsg{Content: "error spike\x1b[31m firing\r\n"})
	if got := m.dialog.reason.Value(); got != "error spike firing" {
		t.Errorf("the reason field holds %q", got)
	}
}
