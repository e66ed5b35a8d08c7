package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
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
		time.Sleep(250 * time.Millisecond)
	}
}

// spikeUnderGuard runs S1, starts a guard, turns the faults on (with the
// error spike) and returns the guard.
func spikeUnderGuard(t *testing.T, e *e2eWorld, faults ...string) *guardProcess {
	t.Helper()
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	g := e.startGuard()
	for _, f := range append(faults, "error-spike") {
		e.ctl("staging", "fault", f, "on")
	}
	return g
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
	g := spikeUnderGuard(t, e)
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
	if a.Message != "approved via guard" || !strings.Contains(a.Evidence, "I2 write_error_spike firing") || !strings.Contains(a.Evidence, "rust_write_error_rate data") {
		t.Errorf("the approval does not carry the guard and the incident's evidence: %q, evidence %q", a.Message, a.Evidence)
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
	assertRecordedFiring(t, e, "guard", "write_error_spike") // what the guard judged is in the recording
}

// guardHoldWindow is how long the stale-data test watches the guard
// hold: the criterion's for (30s) plus the countdown (10s) plus 20s, past
// the moment it would have rolled back on trusted data. (The 3
// minutes, shortened to the world's shortened for; the hold reason is
// asserted throughout.)
const guardHoldWindow = 60 * time.Second

// TestGuardHoldsOnStaleData: scrapes stop together with the error spike;
// the guard never counts down or acts, and says it holds because its
// inputs are stale.
func TestGuardHoldsOnStaleData(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 and a spike hidden by stopped scrapes on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), guardEdit(t, "{mode: countdown, countdown: 10s, criteria: [I2]}", ""))
	g := spikeUnderGuard(t, e, "scrapes-stopped")
	awaitGuard(t, e, g, 2*time.Minute, "holding", "stale for")
	// Sample status once a second through the window: the guard must say
	// holding in every sample, not merely at some moment.
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	for until := time.Now().Add(guardHoldWindow); time.Now().Before(until); <-sample.C {
		out, errOut, _ := e.cockpit("status", "--env", "staging", "-o", "json")
		var st struct {
			Guard guardStatus `json:"guard"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status -o json: %v\n%s\n%s", err, out, errOut)
		}
		if st.Guard.State != "holding" || !strings.Contains(st.Guard.Reason, "stale") {
			t.Fatalf("status says the guard is %+v, want holding on stale data", st.Guard)
		}
	}
	guards, approvals := guardRecords(e.timeline("staging"))
	if len(approvals) != 0 {
		t.Fatalf("a rollback ran on stale data: %+v", approvals)
	}
	for _, r := range guards {
		if r.Verdict == "countdown" || r.Verdict == "acting" {
			t.Errorf("the guard journaled %s on stale data: %+v", r.Verdict, r)
		}
	}
	if st := e.state("staging"); st.WriteTarget != "rust" {
		t.Errorf("writes moved to %s while the guard held", st.WriteTarget)
	}
	t.Logf("guard output:\n%s", g.output())
}

// TestGuardCancelStopsTheCountdown: `guard cancel` during a countdown:
// the guard answers, journals who cancelled and why, and never rolls back
// for that incident, past the countdown's end; a second cancel finds
// nothing live and says so.
func TestGuardCancelStopsTheCountdown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and a cancelled countdown on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), guardEdit(t, "{mode: countdown, countdown: 20s, criteria: [I2]}", ""))
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	g := e.startGuard("--metrics-addr", metricsAddr)
	e.ctl("staging", "fault", "error-spike", "on")
	recs := awaitGuard(t, e, g, 3*time.Minute, "countdown", "rollback in")
	started, _ := firstGuard(recs, "countdown", "")
	body := scrape(t, "http://"+metricsAddr+"/metrics")
	if !strings.Contains(body, `cockpit_guard_state{env="staging",state="countdown"} 1`) || !strings.Contains(body, "cockpit_guard_countdown_seconds") {
		t.Errorf("the guard's /metrics during its countdown:\n%s", body)
	}
	out := e.mustRun(exitOK, "guard", "cancel", "--env", "staging", "--reason", "load test, not users")
	if !strings.Contains(out, "countdown cancelled by") || !strings.Contains(out, "load test, not users") {
		t.Errorf("guard cancel printed:\n%s\nwant the guard's answer with who and why", out)
	}
	recs = e.timeline("staging")
	if _, ok := firstGuard(recs, "cancel", "load test, not users"); !ok {
		t.Error("the cancel request is not journaled with its reason")
	}
	cancelled, ok := firstGuard(recs, "cancelled", "load test, not users")
	if !ok || !strings.Contains(cancelled.Reason, "by ") {
		t.Fatalf("the guard journaled no cancel with who and why: %+v", cancelled)
	}
	// Past the countdown's end (and a margin), nothing rolls back.
	guards := noRollbackUntil(t, e, started.Time.Add(40*time.Second))
	if last := guards[len(guards)-1]; last.Verdict != "cancelled" {
		t.Errorf("the guard's last state is %s (%s), want cancelled", last.Verdict, last.Message)
	}
	_, errOut, code := e.cockpit("guard", "cancel", "--env", "staging", "--reason", "again")
	if code != exitActionFailed || !strings.Contains(errOut, "nothing to cancel") {
		t.Errorf("a second cancel: exit %d %q, want 5 saying nothing is live", code, errOut)
	}
	if st := e.state("staging"); st.WriteTarget != "rust" {
		t.Errorf("writes moved to %s after the cancel", st.WriteTarget)
	}
	if out, _, _ := e.cockpit("status", "--env", "staging"); !strings.Contains(out, "guard    cancelled (countdown) — I2 write error spike") {
		t.Errorf("status does not show the cancelled countdown:\n%s", out)
	}
}

// noRollbackUntil waits for the time end (a cancelled countdown's end and
// a margin), then asserts no rollback was approved, and returns the guard
// records.
func noRollbackUntil(t *testing.T, e *e2eWorld, end time.Time) []journal.Record {
	t.Helper()
	eventually(t, time.Until(end)+time.Minute, time.Second, "the cancelled countdown's end passing", func() bool {
		return time.Now().After(end)
	})
	guards, approvals := guardRecords(e.timeline("staging"))
	if len(approvals) != 0 {
		t.Fatalf("a cancelled countdown rolled back: %+v", approvals)
	}
	return guards
}

// TestTwoGuardsActOnce: two guards in act mode on one environment: one
// rollback; the other says who acted.
func TestTwoGuardsActOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and two guards on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), guardEdit(t, "{mode: act, criteria: [I2]}", ""))
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	a, b := e.startGuard(), e.startGuard()
	e.ctl("staging", "fault", "error-spike", "on")
	var acted, guards []journal.Record
	defer func() {
		if t.Failed() {
			t.Logf("guard records: %+v\nguard a:\n%s\nguard b:\n%s", guards, a.output(), b.output())
		}
	}()
	// The criterion's for (30s), one rollback (about a minute here, several
	// on a machine running two test suites), and the other guard's round.
	eventually(t, 8*time.Minute, time.Second, "both guards saying who acted", func() bool {
		guards, _ = guardRecords(e.timeline("staging"))
		acted = slices.DeleteFunc(guards, func(r journal.Record) bool { return r.Verdict != "acted" })
		pids := map[int]bool{}
		for _, r := range acted {
			pids[r.PID] = true
		}
		return len(pids) == 2
	})
	_, approvals := guardRecords(e.timeline("staging"))
	if len(approvals) != 1 {
		t.Fatalf("%d rollbacks approved by two guards, want 1: %+v", len(approvals), approvals)
	}
	var own, other int
	for _, r := range acted {
		switch {
		case strings.Contains(r.Message, "rolled back by this guard: OK"):
			own++
		case strings.Contains(r.Message, "rolled back by") || strings.Contains(r.Message, "rollback not started"):
			other++
			t.Logf("the other guard (pid %d): %s", r.PID, r.Message)
		}
	}
	if own != 1 || other != 1 {
		t.Errorf("acted records: %+v; want one guard's own rollback and the other naming who acted", acted)
	}
	for _, g := range []*guardProcess{a, b} {
		if code := g.stop(t, 30*time.Second); code != exitOK {
			t.Errorf("guard stopped: exit %d", code)
		}
	}
}

// TestGuardSignalMidCountdownAndMidRollback: SIGTERM during a countdown
// ends the guard with no rollback; SIGTERM to a second guard whose
// rollback is running lets that rollback finish, verified, before it ends.
func TestGuardSignalMidCountdownAndMidRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and two signalled guards on a rehearsal world")
	}
	t.Parallel()
	// Controls take 3s each, like a new revision: a rollback runs long
	// enough to be signalled half-way.
	e := newE2EWorldDelay(t, cockpitBinary(t), 3*time.Second, guardEdit(t, "{mode: countdown, countdown: 15s, criteria: [I2]}", ""))
	first := spikeUnderGuard(t, e)
	awaitGuard(t, e, first, 3*time.Minute, "countdown", "rollback in")
	if code := first.stop(t, 30*time.Second); code != exitOK {
		t.Errorf("guard stopped mid-countdown: exit %d, want 0", code)
	}
	guards, approvals := guardRecords(e.timeline("staging"))
	if len(approvals) != 0 || guards[len(guards)-1].Verdict != "stopped" {
		t.Fatalf("after SIGTERM mid-countdown: approvals %+v, last guard record %+v; want none and stopped", approvals, guards[len(guards)-1])
	}
	if st := e.state("staging"); st.WriteTarget != "rust" {
		t.Fatalf("writes moved to %s after the guard was stopped mid-countdown", st.WriteTarget)
	}

	second := e.startGuard()
	eventually(t, 3*time.Minute, 500*time.Millisecond, "the second guard's rollback starting", func() bool {
		_, approvals := guardRecords(e.timeline("staging"))
		return len(approvals) == 1
	})
	if code := second.stop(t, 3*time.Minute); code != exitOK {
		t.Errorf("guard stopped mid-rollback: exit %d, want 0", code)
	}
	var outcome *journal.Record
	recs := e.timeline("staging")
	for i, r := range recs {
		if r.Kind == journal.KindOutcome && r.Step == "rollback" && r.Check == "" {
			outcome = &recs[i]
		}
	}
	if outcome == nil || outcome.OK == nil || !*outcome.OK {
		t.Fatalf("the rollback signalled mid-way did not finish OK: %+v\nguard output:\n%s", outcome, second.output())
	}
	if st := e.state("staging"); st.WriteTarget != "legacy" || st.RustWriteMode == "rust_active" {
		t.Errorf("after the signalled rollback the world is %+v, want writes on legacy", st)
	}
}

// TestGuardWhoseDatabaseDiesMidCountdown: the environment's database
// (the advisory lock's, P4's) stops taking connections during the
// countdown: the guard goes on observing through Prometheus and the
// runtimes and rolls back at zero under the file lock, saying so.
func TestGuardWhoseDatabaseDiesMidCountdown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and a database outage on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), guardEdit(t, "{mode: countdown, countdown: 15s, criteria: [I2]}", ""))
	g := spikeUnderGuard(t, e)
	awaitGuard(t, e, g, 3*time.Minute, "countdown", "rollback in")
	killDatabase(t, e.dbURL)
	recs := awaitGuard(t, e, g, 3*time.Minute, "acted", "rolled back by this guard")
	if _, approvals := guardRecords(recs); len(approvals) != 1 {
		t.Fatalf("%d rollbacks with the database down, want 1", len(approvals))
	}
	if st := e.state("staging"); st.WriteTarget != "legacy" {
		t.Errorf("after the guard's rollback with the database down, writes go to %s", st.WriteTarget)
	}
	if !strings.Contains(g.p.stderr.String(), "rolling back under the file lock") {
		t.Errorf("the guard does not say which lock it rolled back under:\n%s\n%s", g.output(), g.p.stderr)
	}
	t.Logf("guard output:\n%s\nstderr:\n%s", g.output(), g.p.stderr)
}

// killDatabase makes the test's database refuse new connections and ends
// the open ones, as an outage does; the cleanup lets it be dropped.
func killDatabase(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	must(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(t.Context(), admin.String())
	must(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(t.Context(), "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS false")
	must(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin.String())
		if err == nil {
			_, _ = c.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS true")
			_ = c.Close(context.Background())
		}
	})
	_, err = conn.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
	must(t, err)
}

// TestOperateShowsTheCountdownAndCancelsIt: the operating screen (tmux)
// shows the guard's countdown in its header, counting down, and its own
// guard's state on its --metrics-addr. c asks for a reason: Enter with
// none is refused, Esc keeps the countdown and journals nothing; a typed
// reason is journaled with who, the guards answer it; no rollback
// follows, and the header says who cancelled.
func TestOperateShowsTheCountdownAndCancelsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("drives an operating screen in tmux beside a guard")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, guardEdit(t, "{mode: countdown, countdown: 60s, criteria: [I2]}", ""))
	g := spikeUnderGuard(t, e)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	metrics := "http://" + metricsAddr + "/metrics"
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=night-oncall", bin, "operate", "--config", e.config, "--env", "staging",
		"--metrics-addr", metricsAddr)
	counting := regexp.MustCompile(`rollback in 0:([0-5][0-9]) — press c to cancel`)
	var first string
	op.waitFor("the guard's countdown in the header", 3*time.Minute, func(s string) bool {
		m := counting.FindStringSubmatch(s)
		if m != nil && first == "" {
			first = m[1]
		}
		return m != nil && first != "" && m[1] != first // it counts
	})
	awaitGuardMetric(t, metrics, "countdown", func(left float64) bool { return left > 0 && left < 60 })
	refuseAndKeepTheCountdown(t, e, op, counting)
	op.keys("c")
	op.waitFor("the cancel prompt", 30*time.Second, func(s string) bool { return strings.Contains(s, "CANCEL the guard's countdown") })
	op.literal("load test, not users")
	op.keys("Enter")
	op.waitFor("the guard's answer in the header", time.Minute, func(s string) bool {
		return strings.Contains(s, "countdown cancelled by night-oncall") && !counting.MatchString(s)
	})
	recs := e.timeline("staging")
	if c, ok := firstGuard(recs, "cancel", "load test, not users"); !ok || c.Operator != "night-oncall" || c.Reason != "load test, not users" {
		t.Errorf("the cancel from operate is not journaled with who and the typed reason: %+v (found %t)", c, ok)
	}
	awaitGuardMetric(t, metrics, "cancelled", func(left float64) bool { return left == 0 })
	started, _ := firstGuard(recs, "countdown", "")
	noRollbackUntil(t, e, started.Time.Add(70*time.Second))
	if code := g.stop(t, 30*time.Second); code != exitOK {
		t.Errorf("guard stopped: exit %d", code)
	}
}

// refuseAndKeepTheCountdown is the bad day of c: Enter with no reason is
// refused with a line saying why, Esc closes the prompt with the header
// still counting down, and neither journals a cancel.
func refuseAndKeepTheCountdown(t *testing.T, e *e2eWorld, op *tmuxScreen, counting *regexp.Regexp) {
	t.Helper()
	op.keys("c")
	op.waitFor("the cancel prompt", 30*time.Second, func(s string) bool { return strings.Contains(s, "CANCEL the guard's countdown") })
	op.keys("Enter")
	op.waitFor("the refusal of an empty reason", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "no reason typed: a cancel is journaled with who and why")
	})
	op.keys("Escape")
	op.waitFor("the prompt closed, the countdown running on", 30*time.Second, func(s string) bool {
		return !strings.Contains(s, "CANCEL the guard's countdown") && strings.Contains(s, "countdown runs on (nothing journaled)") && counting.MatchString(s)
	})
	if c, ok := firstGuard(e.timeline("staging"), "cancel", ""); ok {
		t.Fatalf("a cancel was journaled with no reason or after esc: %+v", c)
	}
}

// awaitGuardMetric polls the metrics at url until the guard's state is
// state and its countdown seconds satisfy left.
func awaitGuardMetric(t *testing.T, url, state string, left func(float64) bool) {
	t.Helper()
	series := regexp.MustCompile(`(?m)^cockpit_guard_countdown_seconds\{env="staging"\} (\S+)$`)
	deadline := time.Now().Add(time.Minute)
	for {
		body := scrape(t, url)
		if m := series.FindStringSubmatch(body); m != nil && strings.Contains(body, `cockpit_guard_state{env="staging",state="`+state+`"} 1`) {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil && left(v) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen's guard is not %s on its --metrics-addr within a minute:\n%s", state, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
