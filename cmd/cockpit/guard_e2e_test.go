package main

import (
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// guardEdit is a config edit giving staging a guard on I2 and, when
// receiver is set, a webhook target for events.
func guardEdit(t testing.TB, guardBlock, receiver string, events ...string) func(cfg string) string {
	return func(cfg string) string {
		const anchor = "environments:\n  staging:\n"
		if !strings.Contains(cfg, anchor) {
			t.Fatalf("no %q in the world's config:\n%s", anchor, cfg)
		}
		cfg = strings.Replace(cfg, anchor, anchor+"    guard: "+guardBlock+"\n", 1)
		if receiver != "" {
			cfg += "\nnotify:\n  targets:\n    - name: team\n      url: " + receiver + "/hook\n      format: json\n" +
				"      events: [" + strings.Join(events, ", ") + "]\n"
		}
		return cfg
	}
}

// guardProcess is `cockpit guard` running against a world, its output
// kept line by line.
type guardProcess struct {
	p     *process
	mu    sync.Mutex
	lines []string
}

func (e *e2eWorld) startGuard(args ...string) *guardProcess {
	e.t.Helper()
	p := startProcess(e.t, "env", append([]string{"DB_URL=" + e.dbURL, e.bin, "guard", "--config", e.config, "--env", "staging"}, args...)...)
	g := &guardProcess{p: p}
	go func() {
		for l := range p.lines {
			g.mu.Lock()
			g.lines = append(g.lines, l)
			g.mu.Unlock()
		}
	}()
	return g
}

func (g *guardProcess) output() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.lines, "\n")
}

// stop sends SIGTERM and returns the exit code once the guard has ended.
func (g *guardProcess) stop(t *testing.T, within time.Duration) int {
	t.Helper()
	must(t, g.p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-g.p.done:
	case <-time.After(within):
		t.Fatalf("the guard still runs %s after SIGTERM:\n%s\nstderr: %s", within, g.output(), g.p.stderr)
	}
	return g.p.cmd.ProcessState.ExitCode()
}

// guardRecords are the journal's guard records and rollback approvals.
func guardRecords(recs []journal.Record) (guards, approvals []journal.Record) {
	for _, r := range recs {
		switch {
		case r.Kind == journal.KindGuard:
			guards = append(guards, r)
		case r.Kind == journal.KindApproval && r.Step == "rollback":
			approvals = append(approvals, r)
		}
	}
	return guards, approvals
}

// firstGuard is the first guard record with verdict (and reason
// containing want), or ok false.
func firstGuard(recs []journal.Record, verdict, want string) (journal.Record, bool) {
	for _, r := range recs {
		if r.Kind == journal.KindGuard && r.Verdict == verdict && strings.Contains(r.Message+" "+r.Reason, want) {
			return r, true
		}
	}
	return journal.Record{}, false
}

// awaitGuard polls the journal until a guard record with verdict (and
// want in its message or reason) is there, and returns the journal then.
func awaitGuard(t *testing.T, e *e2eWorld, g *guardProcess, d time.Duration, verdict, want string) []journal.Record {
	t.Helper()
	var recs []journal.Record
	deadline := time.Now().Add(d)
	for {
		recs = e.timeline("staging")
		if _, ok := firstGuard(recs, verdict, want); ok {
			return recs
		}
		if time.Now().After(deadline) {
			guards, _ := guardRecords(recs)
			t.Fatalf("no guard %s %q within %s; guard records: %+v\nguard output:\n%s\nstderr: %s", verdict, want, d, guards, g.output(), g.p.stderr)
		}
		time.Sleep(time.Second)
	}
}

// TestGuardCountsDownThenRollsBack: after S1, an error spike fires I2
// (for: 30s); the guard in countdown mode (10s) advises, counts down and
// then runs the rollback with approval guard and the incident's evidence;
// the webhook hears guard.advised → guard.countdown → rollback.started →
// rollback.done.
func TestGuardCountsDownThenRollsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and a guard's rollback on a rehearsal world")
	}
	t.Parallel()
	receiver, received := jsonReceiver(t)
	e := newE2EWorld(t, cockpitBinary(t), guardEdit(t, "{mode: countdown, countdown: 10s, criteria: [I2]}", receiver.URL,
		"guard.advised", "guard.countdown", "rollback.started", "rollback.done"))
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	g := e.startGuard()
	e.ctl("staging", "fault", "error-spike", "on")
	recs := awaitGuard(t, e, g, 4*time.Minute, "acted", "rolled back by this guard: OK")

	var pending, countdown time.Time
	for _, r := range recs {
		if r.Kind == journal.KindVerdict && r.Check == "I2 write_error_spike" && r.Verdict == "pending" && pending.IsZero() {
			pending = r.Time
		}
	}
	if c, ok := firstGuard(recs, "countdown", "rollback in 0:10"); ok {
		countdown = c.Time
	} else {
		t.Fatalf("no countdown journaled")
	}
	_, approvals := guardRecords(recs)
	if len(approvals) != 1 {
		t.Fatalf("%d rollback approvals, want 1: %+v", len(approvals), approvals)
	}
	a := approvals[0]
	if !strings.Contains(a.Message, "approved via guard: I2 write_error_spike firing") || !strings.Contains(a.Message, "rust_write_error_rate data") {
		t.Errorf("the approval does not carry the guard and the incident's evidence: %q", a.Message)
	}
	if pending.IsZero() || a.Time.Sub(pending) < 40*time.Second || a.Time.Sub(countdown) < 10*time.Second {
		t.Errorf("rollback approved at %s: pending at %s, countdown from %s; want after for (30s) + countdown (10s)",
			a.Time.Format(time.TimeOnly), pending.Format(time.TimeOnly), countdown.Format(time.TimeOnly))
	}
	t.Logf("pending %s → countdown %s → approval %s (%.1fs after the countdown started)", pending.Format("15:04:05.000"),
		countdown.Format("15:04:05.000"), a.Time.Format("15:04:05.000"), a.Time.Sub(countdown).Seconds())
	if st := e.state("staging"); st.WriteTarget != "legacy" || st.RustWriteMode == "rust_active" {
		t.Errorf("after the guard's rollback the world is %+v, want writes on legacy", st)
	}
	want := []string{"guard.advised I2 write_error_spike", "guard.countdown I2 write_error_spike", "rollback.started rollback", "rollback.done rollback"}
	eventually(t, time.Minute, 100*time.Millisecond, "the webhook hearing the guard and its rollback in order", func() bool {
		have := slices.Compact(received())
		return slices.Equal(have, want)
	})
	if code := g.stop(t, 30*time.Second); code != exitOK {
		t.Errorf("guard stopped by SIGTERM: exit %d, want 0", code)
	}
}
