package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
)

// bothWriters is the world a step stopped between its mode change and its
// freeze leaves: both runtimes accept writes, writes still on legacy.
func bothWriters(context.Context) runbook.State {
	st := runbook.State{Writers: runbook.Writers{Rust: checks.Accepting, Legacy: checks.Accepting}}
	st.Observed.WriteTarget.Evidence.Value = "legacy"
	return st
}

// leftAction is an action the screen left, already ended.
type leftAction struct{ ended factory.Ended }

func (a leftAction) Running() (string, bool) { return "", a.ended.Stopped }
func (a leftAction) Wait() factory.Ended     { return a.ended }
func (a leftAction) Left() string            { return bothWriters(context.Background()).WritersNow() }

// How the process ends after the screen stopped (or left) an action: every
// path says what happened; only a step that finished OK exits 0.
func TestTheProcessSaysHowAnActionTheScreenLeftEnded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id      string
		writes  bool
		out     executor.Outcome
		err     error
		stopped bool
		code    int
		saysOut string // on stderr before the exit
		saysErr string // in the exit error
	}{
		{name: "nothing stopped", id: "S1", out: executor.Outcome{Message: "S1 failed: seen on screen"}, code: exitOK},
		{name: "step finished OK after the screen closed", id: "S1", writes: true, out: executor.Outcome{OK: true, Message: "S1 done: 3 sub-steps verified"},
			stopped: true, code: exitOK, saysOut: "S1 finished after the screen closed: S1 done"},
		{name: "check finished FAIL after the screen closed", id: "P1", out: executor.Outcome{Verdict: checks.Fail, Message: "P1 FAIL:\nparity blocks"},
			stopped: true, code: exitCheckFailed, saysOut: "P1 finished after the screen closed: P1 FAIL"},
		{name: "check finished PASS after the screen closed", id: "P2", out: executor.Outcome{OK: true, Verdict: checks.Pass, Message: "P2 PASS"},
			stopped: true, code: exitOK, saysOut: "P2 finished after the screen closed: P2 PASS"},
		{name: "check finished UNKNOWN after the screen closed", id: "P3", out: executor.Outcome{Verdict: checks.Unknown, Message: "P3 UNKNOWN"},
			stopped: true, code: exitUnknown, saysOut: "P3 finished after the screen closed"},
		{name: "step stopped mid-way", id: "S1", writes: true, out: executor.Outcome{Message: "S1 interrupted at route_writes=rust (context canceled): evidence…\nmore"},
			stopped: true, code: exitActionFailed,
			saysErr: "S1 stopped mid-way when the screen closed (S1 interrupted at route_writes=rust (context canceled)); it leaves: rust accepts writes while they still go to legacy: both runtimes accept writes"},
		{name: "step refused", id: "S1", writes: true, err: &executor.RefusedError{}, stopped: true, code: exitNeedsApproval, saysErr: "S1 stopped mid-way"},
		{name: "step errored", id: "S1", writes: true, err: errors.New("journal: disk full"), stopped: true, code: exitActionFailed, saysErr: "journal: disk full"},
		{name: "rollback done", id: runbook.RollbackID, out: executor.Outcome{OK: true, Message: "rollback ran to the end"}, stopped: true,
			code: exitRolledBack, saysOut: "rollback ran to the end"},
		{name: "rollback failed", id: runbook.RollbackID, out: executor.Outcome{Message: "rollback ran to the end: R3 FAILED"}, stopped: true,
			code: exitActionFailed, saysErr: "R3 FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := leftAction{factory.Ended{ID: tc.id, Writes: tc.writes, Outcome: tc.out, Err: tc.err, Stopped: tc.stopped}}
			var errOut bytes.Buffer
			err := finish(&errOut, a)
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit %d (%v), want %d", got, err, tc.code)
			}
			if tc.saysOut != "" && !strings.Contains(errOut.String(), tc.saysOut) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.saysOut)
			}
			if tc.saysErr != "" && (err == nil || !strings.Contains(err.Error(), tc.saysErr)) {
				t.Errorf("exit error %v lacks %q", err, tc.saysErr)
			}
			if tc.code != exitOK && err != nil && !isSilent(err) && strings.Contains(err.Error(), "\n") {
				t.Errorf("the exit message is not one line: %q", err)
			}
		})
	}
}

// Scripted verification says what the screen says: V1 awaiting its probe
// after the cutover holds (exit 2) without failing; the checklist of a
// rolled-back cutover is N/A and counts for nothing.
func TestCheckVerifyHoldsOnV1sProbeAndPassesOverNA(t *testing.T) {
	item := func(id string, v checks.Verdict) runbook.ItemStatus {
		return runbook.ItemStatus{Item: runbook.FindItem(runbook.RunbookItems(), id), Verdict: v,
			Checks: []checks.Result{{ID: id + ".check", Verdict: v}}}
	}
	v1, v2 := item("V1", checks.Fail), item("V2", checks.Pass)
	v1.Awaits = "S2"
	st := runbook.State{Items: []runbook.ItemStatus{v1, v2}}
	var vs []checks.Verdict
	for _, l := range scripted.LinesOf(st, runbook.Verification) {
		vs = append(vs, l.Counts())
		if l.ID == "V1" && (l.Verdict != "AWAITS" || l.Awaits != "S2") {
			t.Errorf("V1 awaiting S2 reads %s %q", l.Verdict, l.Awaits)
		}
	}
	if code := exitCode(exitFor(vs)); code != exitUnknown {
		t.Errorf("V1 awaiting its probe: exit %d, want %d (hold, not fail)", code, exitUnknown)
	}

	v1.Awaits, v1.NotApplicable = "", "rolled back"
	v2.Verdict, v2.NotApplicable = checks.Fail, "rolled back"
	vs = nil
	for _, l := range scripted.LinesOf(runbook.State{Items: []runbook.ItemStatus{v1, v2}}, runbook.Verification) {
		vs = append(vs, l.Counts())
		if l.Verdict != "N/A" || !strings.Contains(l.Evidence, "n/a: rolled back") {
			t.Errorf("%s after a clean rollback reads %s %q", l.ID, l.Verdict, l.Evidence)
		}
	}
	if code := exitCode(exitFor(vs)); code != exitOK {
		t.Errorf("the rolled-back checklist: exit %d, want 0", code)
	}
}
