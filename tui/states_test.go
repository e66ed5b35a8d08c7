package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// The step states issue 15 names, each drawn at every scene size and held
// to the screen's guarantees: a step not run, an item awaiting its step or
// not applicable after a rollback, a queued R-item: never red.

// awaitingS2 is right after a good S1: V1 awaits the write probe (S2); its
// FAIL (no probe since the mode change) is kept for the evidence.
func awaitingS2() runbook.State {
	s := afterS1()
	s.Items = runbookItems(map[string]checks.Verdict{"S2": checks.Fail, "S3": checks.Fail, "S4": checks.Unknown, "V1": checks.Fail},
		map[string]runbook.StepProgress{"S1": {State: runbook.Done, At: clock.Add(-4 * time.Minute), Operator: "alice"}}, "")
	setItem(&s, "V1", func(is *runbook.ItemStatus) { is.Awaits = "S2" })
	return s
}

// rolledBackState is staging after a rollback that began at 14:01 and whose
// R-items ended as results says (an R-ID not named is DONE); with every
// R-item done, the V items are n/a.
func rolledBackState(results map[string]runbook.ProgressState) runbook.State {
	s := freshWorld()
	at := clock.Add(-2 * time.Minute)
	progress := map[string]runbook.StepProgress{"S1": {State: runbook.Done, At: clock.Add(-10 * time.Minute), Operator: "alice"}}
	clean := true
	for _, id := range []string{"R1", "R2", "R3", "R4"} {
		state := runbook.Done
		if r, ok := results[id]; ok {
			state = r
		}
		clean = clean && state == runbook.Done
		progress[id] = runbook.StepProgress{State: state, At: at, Operator: "bob", Detail: id + " " + string(state)}
	}
	s.Items = runbookItems(map[string]checks.Verdict{"S1": checks.Fail, "S2": checks.Fail, "V1": checks.Fail, "V2": checks.Fail},
		progress, "")
	s.History.Last = map[string]runbook.LastRun{runbook.RollbackID: {At: at, Operator: "bob", OK: clean}}
	if clean {
		for i := range s.Items {
			if s.Items[i].Item.Kind == runbook.Verification {
				s.Items[i].NotApplicable = "rolled back"
			}
		}
	}
	return s
}

// rollbackR1Running is a rollback (on another machine) acting R1.
func rollbackR1Running() runbook.State {
	s := firingAfterS1()
	at := clock.Add(-20 * time.Second)
	progress := map[string]runbook.StepProgress{"S1": {State: runbook.Done, At: clock.Add(-10 * time.Minute), Operator: "alice"},
		"R1": {State: runbook.Running, At: at, Operator: "bob", Detail: "R1 set_rust_write_mode=shadow_only"}}
	for _, id := range []string{"R2", "R3", "R4"} {
		progress[id] = runbook.StepProgress{State: runbook.Queued, At: at, Operator: "bob"}
	}
	s.Items = runbookItems(map[string]checks.Verdict{"R1": checks.Fail, "R2": checks.Fail, "R3": checks.Fail, "R4": checks.Fail}, progress, "")
	return s
}

// s1AfterAFailedRollback is S1 done again after a rollback whose R3 failed.
func s1AfterAFailedRollback() runbook.State {
	s := awaitingS2()
	setItem(&s, "S1", func(is *runbook.ItemStatus) {
		is.Progress = runbook.StepProgress{State: runbook.Done, At: clock.Add(-time.Minute), Operator: "alice"}
	})
	setItem(&s, "S2", func(is *runbook.ItemStatus) {
		is.Progress = runbook.StepProgress{State: runbook.Done, At: clock.Add(-20 * time.Minute), Operator: "alice"}
	})
	s.History.Last = map[string]runbook.LastRun{runbook.RollbackID: {At: clock.Add(-10 * time.Minute), Operator: "bob"}}
	return s
}

// queryFailedState has the Rust error rate's query failing.
func queryFailedState() runbook.State {
	s := afterS1()
	s.Snapshot.Samples["rust_write_error_rate"] = metrics.Sample{Signal: "rust_write_error_rate", At: clock.Add(-2 * time.Second),
		Err: errors.New(`querying prometheus: Post "http://prom:9090/api/v1/query": dial tcp 10.0.0.9:9090: connection refused`)}
	return s
}

// midS1 is what S1 leaves after its first two sub-steps: Rust takes the
// writes, legacy is not frozen yet.
func midS1() runbook.State {
	s := freshWorld()
	s.Observed.RustWriteMode = result("mode", "rust write mode", checks.Pass, "rust_active", 2*time.Second)
	s.Observed.WriteTarget = result("target", "write target", checks.Pass, "rust", 2*time.Second)
	s.Writers = runbook.Writers{Rust: checks.Accepting, Legacy: checks.Accepting}
	setWriters(&s, writers(runbook.IncidentOK, 2, "expected while running: S1 by alice"))
	s.Snapshot.Samples["rust_write_share"] = sample("rust_write_share", 1, 2*time.Second)
	return s
}

// quitDuringS1 runs S1 (held by the fake executor), has it report its
// route_writes sub-step, and presses q.
func quitDuringS1(t *testing.T, m *Model) {
	openS1Confirm(t, m)
	typeText(m, "P4 read by hand")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if m.action == nil {
		t.Fatalf("S1 did not start: %s", m.status)
	}
	m.Update(progressMsg{Progress: executor.Progress{Step: "S1", SubStep: "route_writes=rust", Message: "verified: write target rust",
		At: clock.Add(-time.Second)}})
	m.Update(keyFor(m.keys.Quit))
}

// selectR4 moves the cursor down the list, as an operator does to read
// the R-items at 80×24.
func selectR4(t *testing.T, m *Model) { selectItem(t, m, "R4") }

func setItem(s *runbook.State, id string, f func(*runbook.ItemStatus)) {
	for i := range s.Items {
		if s.Items[i].Item.ID == id {
			f(&s.Items[i])
		}
	}
}

func stateScenes() []scene {
	return []scene{
		{name: "v1_awaits_s2", state: awaitingS2, want: []string{"AWAITS  V1 rust accepts writes (awaits S2)", "S1 done at 13:59"}},
		{name: "rolled_back", state: func() runbook.State { return rolledBackState(nil) }, act: selectR4,
			want: []string{"ROLLED BACK at 14:01", "N/A     V1 rust accepts writes (n/a: rolled back)", "N/A     V4", "DONE    R3"}},
		{name: "rollback_r3_failed", act: selectR4, state: func() runbook.State {
			return rolledBackState(map[string]runbook.ProgressState{"R3": runbook.Failed})
		}, want: []string{"ROLLBACK FAILED at 14:01", "DONE    R1", "DONE    R2", "FAILED  R3", "DONE    R4"}},
		{name: "rollback_r1_running", state: rollbackR1Running, act: selectR4,
			want: []string{"rollback running since 14:03 by bob", "RUNNING R1", "QUEUED  R2", "QUEUED  R3", "QUEUED  R4"}},
		{name: "s1_after_failed_rollback", state: s1AfterAFailedRollback, want: []string{"S1 done at 14:02"}},
		{name: "query_failed", state: queryFailedState, want: []string{"UNKNOWN"}},
		{name: "quit_during_s1", state: midS1, act: quitDuringS1, want: []string{"quit while S1 runs?",
			"S1 is mid-way (route_writes=rust): legacy not yet frozen: both runtimes accept", "exits non-zero"}},
	}
}

func TestGoldenStepStates(t *testing.T) {
	for _, sc := range stateScenes() {
		for _, size := range sceneSizes {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, w, h), func(t *testing.T) {
				m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: failingGatePlan(), release: make(chan struct{})}}, sc.state(), w, h)
				if sc.act != nil {
					sc.act(t, m)
				}
				view := m.View().Content
				checkGuarantees(t, view, w, h)
				for _, want := range sc.want {
					if !strings.Contains(view, want) {
						t.Errorf("%s at %dx%d lacks %q:\n%s", sc.name, w, h, want, view)
					}
				}
				if strings.Contains(view, "ROLLBACK FAILED") && sc.name == "s1_after_failed_rollback" {
					t.Errorf("the S1 done after the failed rollback still reads ROLLBACK FAILED:\n%s", view)
				}
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}

// The word "error" in red is gone: a failed query reads UNKNOWN in the
// unknown-is-grey style, with why, in the pane where the value would be.
func TestAFailedQueryIsUnknownNotARedWord(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, queryFailedState(), 200, 50)
	colour(m)
	pane := strings.Join(m.panes.views(clock)[errorRatePane], "\n")
	if !strings.Contains(pane, m.c.styles.Muted.Render("UNKNOWN")) || !strings.Contains(pane, "(connection refused)") {
		t.Errorf("the error-rate pane with a failed query lacks a grey UNKNOWN and its reason:\n%s", pane)
	}
	if strings.Contains(pane, "error") || strings.Contains(pane, m.c.styles.Crit.Render("UNKNOWN")) {
		t.Errorf("the failed query still reads as a red error:\n%s", pane)
	}
}

// watch and watch --follow cannot act: their footer and help offer no
// action key, and pressing one still says why nothing happens. An
// operating screen offers them, except while its action runs.
func TestAScreenOffersOnlyTheKeysItCanActOn(t *testing.T) {
	actionKeys := []string{"enter run step", "r rollback", "p write probe"}
	w := newTestModel(t, Options{Mode: Watch}, healthyState(), 200, 50)
	footer := w.footer()
	w.Update(keyFor(w.keys.Help))
	help := w.View().Content
	for _, k := range actionKeys {
		if strings.Contains(footer, k) || strings.Contains(help, strings.SplitN(k, " ", 2)[1]) {
			t.Errorf("the read-only screen offers %q:\nfooter %q\n%s", k, footer, help)
		}
	}
	if strings.Contains(help, "CONFIRM DIALOG") {
		t.Errorf("the read-only help lists a confirm dialog it never shows:\n%s", help)
	}
	w.Update(keyFor(w.keys.Quit)) // closes the help
	w.Update(keyFor(w.keys.Rollback))
	if !strings.Contains(w.status, readOnlyMessage) {
		t.Errorf("r on a read-only screen says %q, want %q", w.status, readOnlyMessage)
	}

	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: greenPlan(false), release: make(chan struct{})}}, healthyState(), 200, 50)
	for _, k := range actionKeys {
		if !strings.Contains(m.footer(), k) {
			t.Errorf("the operating screen's footer lacks %q: %q", k, m.footer())
		}
	}
	openDialog(t, m)
	m.Update(keyFor(m.confirm.Confirm))
	if m.action == nil {
		t.Fatal("the action did not start")
	}
	for _, k := range actionKeys {
		if strings.Contains(m.footer(), k) {
			t.Errorf("while S1 runs the footer offers %q: %q", k, m.footer())
		}
	}
}

// The timeline's fold of a check ends on its current verdict: an incident
// that went pending then firing does not read "unknown → ok".
func TestAVerdictFoldEndsOnWhatTheScreenSaid(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	at := func(s int) time.Time { return clock.Add(time.Duration(s-60) * time.Second) }
	m.Update(journalMsg{Records: []journal.Record{
		{Time: at(0), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "unknown"},
		{Time: at(1), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "ok"},
		{Time: at(20), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "pending"},
		{Time: at(50), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "firing"},
		{Time: at(0), Kind: journal.KindVerdict, Check: "S1", Verdict: "NOT RUN"},
	}})
	m.Update(keyFor(m.keys.Timeline))
	view := m.View().Content
	if !strings.Contains(view, "I2 write_error_spike pending → firing 14:03:12 (3 changes)") {
		t.Errorf("the fold does not end on firing:\n%s", view)
	}
	if strings.Contains(view, "unknown → ok") || strings.Contains(view, "S1 FAIL") {
		t.Errorf("the timeline contradicts the screen:\n%s", view)
	}
}

// A fresh dialog says its confirm keys are not open yet, and wakes the
// screen when they are: what a person (or a test) waits for is drawn.
func TestTheDialogShowsItsConfirmKeysWhenTheyWork(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: greenPlan(false)}}, healthyState(), 200, 50)
	selectItem(t, m, "S1")
	_, cmd := m.Update(keyFor(m.keys.Run))
	_, ready := m.Update(await[planMsg](t, launch(cmd)))
	if view := m.View().Content; !strings.Contains(view, "confirming opens in a moment") || strings.Contains(view, "y/enter confirm") {
		t.Errorf("a fresh dialog offers confirming before it accepts it:\n%s", view)
	}
	if ready == nil {
		t.Fatal("the dialog does not wake the screen when its grace ends")
	}
	msg := await[confirmReadyMsg](t, launch(ready))
	m.c.now = func() time.Time { return clock.Add(confirmGrace) }
	m.Update(msg)
	if view := m.View().Content; !strings.Contains(view, "y/enter confirm") {
		t.Errorf("past the grace the dialog does not offer confirming:\n%s", view)
	}
}
