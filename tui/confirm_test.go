package tui

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
)

// A long argv wraps between arguments: the operator sees every argument
// whole, nothing is cut with an ellipsis.
func TestConfirmDialogShowsALongArgvWhole(t *testing.T) {
	plan := greenPlan(false)
	argv := []string{"/opt/deploy/tools/bin/cockpit", "rehearse", "ctl", "--config",
		"/var/lib/cockpit/rehearsals/2026-11-27/game-day/cockpit.yaml", "--env", "staging",
		"set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"}
	plan.Calls = []executor.Call{{Actuator: "set_rust_write_mode", Argv: argv, Description: "a new revision"}}
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: plan}}, healthyState(), 80, 30)
	openDialog(t, m)

	view := m.View().Content
	_, block, _ := strings.Cut(view, "will run:")
	block, _, _ = strings.Cut(block, "gates (live):")
	if strings.Contains(block, "…") {
		t.Fatalf("the call is cut:\n%s", block)
	}
	words := strings.Fields(block)
	for _, a := range argv {
		found := false
		for _, w := range words {
			found = found || w == a
		}
		if !found {
			t.Errorf("argument %q is not shown whole:\n%s", a, block)
		}
	}
	if !strings.Contains(block, "# a new revision") {
		t.Errorf("the call's description is missing:\n%s", block)
	}
}

// A rollback has no runbook item; its dialog still says what it confirms.
func TestRollbackDialogNamesTheAction(t *testing.T) {
	plan := greenPlan(false)
	plan.Item = nil
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: plan}}, firingState(), 200, 50)
	_, cmd := m.Update(keyFor(m.keys.Rollback))
	m.Update(await[planMsg](t, launch(cmd)))
	if m.dialog == nil || !strings.Contains(m.View().Content, "CONFIRM "+runbook.RollbackID) {
		t.Fatalf("no dialog titled CONFIRM %s:\n%s", runbook.RollbackID, m.View().Content)
	}
}

// The executor's message may already say "S1 done:"; the status line says it once.
func TestOutcomeIsReportedOnce(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50)
	for _, tt := range []struct{ message, want string }{
		{"S1 done: 3 sub-step(s) verified", "S1 done: 3 sub-step(s) verified"},
		{"verified", "S1 done: verified"},
	} {
		m.action = &runningAction{id: "S1", cancel: func() {}}
		m.Update(outcomeMsg{Outcome: executor.Outcome{Step: "S1", OK: true, Message: tt.message}})
		if m.status != tt.want {
			t.Errorf("outcome %q: status %q, want %q", tt.message, m.status, tt.want)
		}
	}
}
