package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// TestOperateAloneGuardsAndRollsBack: operate on an environment whose
// config writes a guard (countdown 10s on I2), with no `cockpit guard`
// process: after S1 and an error spike, its header counts down and the
// screen's own guard runs the rollback, approval guard with the
// incident's evidence; quitting the screen journals the guard's stop.
func TestOperateAloneGuardsAndRollsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("drives an operating screen in tmux through S1, an error spike and its guard's rollback")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, guardEdit(t, "{mode: countdown, countdown: 10s, criteria: [I2]}", ""))
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging")
	eventually(t, 2*time.Minute, 200*time.Millisecond, "the screen's guard journaling its start", func() bool {
		_, ok := firstGuard(e.timeline("staging"), "started", "countdown (count down 10s, then roll back) on I2")
		return ok
	})
	e.ctl("staging", "fault", "error-spike", "on")
	counting := regexp.MustCompile(`rollback in 0:(0[0-9]|10) — press c to cancel`)
	op.waitFor("the screen's own guard counting down in the header", 3*time.Minute, counting.MatchString)

	var recs []journal.Record
	eventually(t, 2*time.Minute, time.Second, "the screen's guard rolling back", func() bool {
		recs = e.timeline("staging")
		_, ok := firstGuard(recs, "acted", "rolled back by this guard: OK")
		return ok
	})
	guards, approvals := guardRecords(recs)
	if len(approvals) != 1 {
		t.Fatalf("%d rollback approvals, want 1: %+v", len(approvals), approvals)
	}
	a := approvals[0]
	if a.Message != "approved via guard" || !strings.Contains(a.Evidence, "I2 write_error_spike firing") {
		t.Errorf("the approval does not carry the guard and the incident's evidence: %q, evidence %q", a.Message, a.Evidence)
	}
	countdown, ok := firstGuard(recs, "countdown", "rollback in 0:10")
	if !ok || a.Time.Sub(countdown.Time) < 10*time.Second {
		t.Errorf("rollback approved at %s, countdown journaled %v at %s: want the rollback 10s after it", a.Time, ok, countdown.Time)
	}
	pids := map[int]bool{}
	for _, r := range guards {
		pids[r.PID] = true
	}
	if a.PID == 0 || !pids[a.PID] || len(pids) != 1 {
		t.Errorf("approval by pid %d, guard records by pids %v: want one guard, the screen's, approving", a.PID, pids)
	}
	if st := e.state("staging"); st.WriteTarget != "legacy" {
		t.Errorf("after the screen's guard rolled back the world is %+v, want writes on legacy", st)
	}
	op.keys("q")
	op.waitFor("operate to quit", 30*time.Second, func(s string) bool { return strings.Contains(s, "cockpit exited") })
	eventually(t, 30*time.Second, 200*time.Millisecond, "the screen's guard journaling its stop", func() bool {
		stops := slices.DeleteFunc(e.timeline("staging"), func(r journal.Record) bool {
			return r.Kind != journal.KindGuard || r.Verdict != "stopped"
		})
		return len(stops) == 1 && strings.Contains(stops[0].Message, "the screen closed")
	})
}

// TestOperatesRollbackKeyDuringItsCountdown: a human pressing r while the
// screen's own guard counts down just rolls back; the guard sees that
// rollback start, says who acted, and never runs one of its own.
func TestOperatesRollbackKeyDuringItsCountdown(t *testing.T) {
	if testing.Short() {
		t.Skip("drives an operating screen in tmux through S1, an error spike and a human's rollback mid-countdown")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, guardEdit(t, "{mode: countdown, countdown: 40s, criteria: [I2]}", ""))
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging")
	op.waitFor("the panes", time.Minute, screenPanesLive)
	e.ctl("staging", "fault", "error-spike", "on")
	op.waitFor("the screen's own guard counting down", 3*time.Minute, regexp.MustCompile(`rollback in 0:[0-4][0-9] — press c to cancel`).MatchString)
	op.keys("r")
	op.waitFor("the rollback confirm dialog", 30*time.Second, func(s string) bool { return strings.Contains(s, "CONFIRM rollback") })
	if strings.Contains(op.capture(), "override reason") {
		op.literal("error spike firing")
	}
	op.waitConfirmable()
	op.keys("Enter")
	var acted journal.Record
	eventually(t, 2*time.Minute, time.Second, "the guard saying who rolled back", func() bool {
		var ok bool
		acted, ok = firstGuard(e.timeline("staging"), "acted", "rolled back by")
		return ok
	})
	if strings.Contains(acted.Message, "by this guard") {
		t.Fatalf("the guard rolled back itself after a human's r: %s", acted.Message)
	}
	countdown, _ := firstGuard(e.timeline("staging"), "countdown", "")
	eventually(t, time.Until(countdown.Time.Add(50*time.Second))+time.Minute, time.Second, "the countdown's end passing", func() bool {
		return time.Now().After(countdown.Time.Add(50 * time.Second))
	})
	_, approvals := guardRecords(e.timeline("staging"))
	if len(approvals) != 1 || approvals[0].Message == "approved via guard" {
		t.Errorf("rollback approvals %+v: want the human's one only", approvals)
	}
}
