package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
)

// TestFencingAndARollbackAlwaysWins drives the built binary through issue
// 14's defects 4 and 8 and item 12's local preemption: the preemption race
// (a forward step's actuator mid-flight, its change landing after the step
// stopped) run 20 times in worlds of their own, a stray advisory-lock holder, a suspended rollback,
// a failing R-step, and a rollback preempting the operator's own screen.
func TestFencingAndARollbackAlwaysWins(t *testing.T) {
	t.Parallel()
	subtests := []binarySubtest{
		{"a stray advisory-lock holder does not block a rollback", testStrayAdvisoryHolder},
		{"a suspended rollback is taken over", testSuspendedRollbackTakenOver},
		{"a failing R-step does not hold the next", testFailingRStepDoesNotHoldTheNext},
	}
	// Ten rounds on each machine, raceRoundsPerWorld to a world: each round
	// waits out a rollback's watch, and worlds of their own run at once.
	for _, remote := range []bool{false, true} {
		where := map[bool]string{false: "on this machine", true: "from another machine"}[remote]
		for from := 0; from < raceRounds; from += raceRoundsPerWorld {
			to := min(from+raceRoundsPerWorld, raceRounds)
			subtests = append(subtests, binarySubtest{fmt.Sprintf("preemption race rounds %d-%d %s: never two writers", from, to-1, where),
				func(t *testing.T, bin string) { testPreemptionRace(t, bin, remote, from, to) }})
		}
	}
	runBinarySubtests(t, subtests)
}

// raceRounds is how many preemption races run on each machine, each round
// with its own target sub-step and landing delay.
const raceRounds = 10

// raceRoundsPerWorld is how many of them share one world, one after another.
const raceRoundsPerWorld = 2

// raceVerifyTimeout keeps the rollback's watch after a takeover short (it
// is min(verify_timeout, 1m)) while leaving the write share's 10s window
// room to show a route, and a loaded machine's Prometheus room to answer
// (a final observation that cannot read the write target is, rightly, no
// rollback).
const raceVerifyTimeout = 30 * time.Second

// raceWorld wraps staging's three actuators in front of a script that, for
// the one S1 sub-step named in dir/target, behaves like a deploy whose CLI
// is killed mid-flight while the deploy goes on: it marks the call in
// flight, starts the real change in a session of its own after dir/delay
// seconds (it survives the kill of the actuator's process group), and
// waits.
func raceWorld(t *testing.T, bin string) (*e2eWorld, string) {
	dir := t.TempDir()
	lander := writeScript(t, dir, "lander", `sleep "$1"; mark="$2"; shift 2; "$@" >/dev/null 2>&1; touch "$mark"`)
	wrapper := writeScript(t, dir, "deploy", fmt.Sprintf(`d=%q
target=$(cat "$d/target" 2>/dev/null)
if [ -n "$target" ]; then case "$*" in *"$target"*)
	n=$(cat "$d/iter"); touch "$d/inflight-$n"
	setsid %q "$(cat "$d/delay")" "$d/landed-$n" "$@" </dev/null >/dev/null 2>&1 &
	sleep 20; exit 0;;
esac; fi
exec "$@"`, dir, lander))
	w := newE2EWorld(t, bin, func(cfg string) string {
		for _, key := range []string{"set_rust_write_mode", "route_writes", "set_legacy_freeze"} {
			cfg = wrapActuator(cfg, key, wrapper)
		}
		return verifyTimeout(t, cfg, raceVerifyTimeout)
	})
	return w, dir
}

// raceTargets are S1's sub-steps, by what their argv holds.
var raceTargets = []string{"WRITE_MODE=rust_active", "route-writes rust", "WRITE_FREEZE=true"}

// testPreemptionRace runs rounds [from, to) of the race; the preempted
// change lands 0.2s to 8s after the call, before, during and after the
// rollback's R-steps looked (its watch after a takeover is raceVerifyTimeout).
func testPreemptionRace(t *testing.T, bin string, remote bool, from, to int) {
	w, dir := raceWorld(t, bin)
	forward := w // the machine S1 runs on
	if remote {
		forward = &e2eWorld{t: t, bin: w.bin, dir: w.dir, config: machineBConfig(t, w), dbURL: w.dbURL}
	}
	lateChanges := 0
	for i := from; i < to; i++ {
		delay := []string{"0.2", "2", "5", "8"}[i%4]
		must(t, os.WriteFile(filepath.Join(dir, "iter"), []byte(fmt.Sprint(i)), 0o600))
		must(t, os.WriteFile(filepath.Join(dir, "delay"), []byte(delay), 0o600))
		must(t, os.WriteFile(filepath.Join(dir, "target"), []byte(raceTargets[i%3]), 0o600))
		start := time.Now()
		raceRound(t, w, forward, dir, i)
		lateChanges += countMessages(w, "rollback", "a late change undid", start)
		t.Logf("round %d (S1 preempted mid %q, its change landing %ss later): %s", i, raceTargets[i%3], delay, time.Since(start).Round(time.Second))
	}
	t.Logf("%d rounds, %d late changes caught and re-applied, never two writers", to-from, lateChanges)
}

// raceRound is one race: S1 runs until the chosen sub-step's actuator is in
// flight, a rollback preempts it, and once the preempted change has landed
// the world must have exactly one writer.
func raceRound(t *testing.T, w, forward *e2eWorld, dir string, i int) {
	s1 := forward.command(map[string]string{"DB_URL": w.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1",
		"--override-reason", "preemption race")
	var s1out strings.Builder
	s1.Stdout, s1.Stderr = &s1out, &s1out
	must(t, s1.Start())
	exited := make(chan error, 1)
	go func() { exited <- s1.Wait() }()
	inflight := filepath.Join(dir, fmt.Sprintf("inflight-%d", i))
	eventually(t, 90*time.Second, 100*time.Millisecond, "S1's actuator in flight", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("round %d: S1 ended before its actuator was in flight (%v):\n%s", i, err, s1out.String())
		default:
		}
		_, err := os.Stat(inflight)
		return err == nil
	})
	out, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack {
		t.Fatalf("round %d: rollback exit %d, want 6\n%s\n%s", i, code, out, errOut)
	}
	select {
	case err := <-exited:
		if err == nil {
			t.Errorf("round %d: the preempted S1 exited 0", i)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("round %d: the preempted S1 is still running after the rollback", i)
	}
	must(t, os.WriteFile(filepath.Join(dir, "target"), nil, 0o600))
	landed := filepath.Join(dir, fmt.Sprintf("landed-%d", i))
	eventually(t, 60*time.Second, 100*time.Millisecond, "the preempted change landing", func() bool {
		_, err := os.Stat(landed)
		return err == nil
	})
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Fatalf("round %d: after the rollback (exit 6) and the preempted change, the world is rust %s, legacy frozen %v, writes → %s: want one writer, legacy\nrollback said:\n%s",
			i, st.RustWriteMode, st.LegacyWriteFreeze, st.WriteTarget, out)
	}
	assertNoActuatorAfterTakeover(t, w, forward, i)
}

// assertNoActuatorAfterTakeover: no S1 intent is journaled once the
// rollback holds the lock (the fence), and S1 journaled that it stopped.
func assertNoActuatorAfterTakeover(t *testing.T, w, forward *e2eWorld, i int) {
	t.Helper()
	var taken time.Time
	for _, r := range w.timeline("staging") {
		if r.Step == "rollback" && r.Check == "lock" && strings.HasPrefix(r.Message, "lock taken") {
			taken = r.Time
		}
	}
	var stopped bool
	for _, r := range forward.timeline("staging") {
		if r.Step != "S1" || r.Time.Before(taken.Add(-2*time.Minute)) {
			continue
		}
		if r.Kind == journal.KindIntent && r.Time.After(taken) {
			t.Errorf("round %d: S1 started %s after the rollback took the lock", i, r.Check)
		}
		stopped = stopped || (r.Kind == journal.KindOutcome && r.Check == "" && strings.Contains(r.Message, "interrupted"))
	}
	if !stopped {
		t.Errorf("round %d: S1's journal does not close it as interrupted", i)
	}
}

func countMessages(w *e2eWorld, step, sub string, since time.Time) int {
	n := 0
	for _, r := range w.timeline("staging") {
		if r.Step == step && !r.Time.Before(since) && strings.Contains(r.Message, sub) {
			n++
		}
	}
	return n
}

// testStrayAdvisoryHolder: a role that may only connect holds the
// environment's key with pg_advisory_lock; the rollback ends its session,
// says so, and rolls back.
func testStrayAdvisoryHolder(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	stray := connectOnlyRole(t, w.dbURL, testsvc.UniqueRolePrefix(t)+"stray")
	conn, err := pgx.Connect(t.Context(), stray)
	must(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(t.Context(), "SELECT pg_advisory_lock($1)", lock.EnvKey("staging"))
	must(t, err)

	_, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack {
		t.Fatalf("rollback against a stray holder: exit %d, want 6\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "not a cockpit's session") || !strings.Contains(errOut, "ended the session") {
		t.Errorf("the rollback did not say what it did about the stray holder:\n%s", errOut)
	}
	if countMessages(w, "rollback", "ended the session", time.Time{}) == 0 {
		t.Error("the journal does not record the stray holder's session ended")
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback the world is %+v", st)
	}
}

// connectOnlyRole creates a login role with no grant but CONNECT (every
// role has it on a new database) and returns its URL.
func connectOnlyRole(t *testing.T, dbURL, name string) string {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), dbURL)
	must(t, err)
	defer admin.Close(context.Background())
	_, err = admin.Exec(t.Context(), "CREATE ROLE "+pgx.Identifier{name}.Sanitize()+" LOGIN PASSWORD 'stray'")
	must(t, err)
	u, err := url.Parse(dbURL)
	must(t, err)
	u.User = url.UserPassword(name, "stray")
	return u.String()
}

// testSuspendedRollbackTakenOver: a rollback on another machine is
// suspended (SIGSTOP) in the middle of R1 while holding the advisory lock;
// a second rollback takes the lock over once it has been silent for the
// bound, and rolls back.
func testSuspendedRollbackTakenOver(t *testing.T, bin string) {
	slow := writeScript(t, t.TempDir(), "slow-freeze", `case "$*" in *shadow_only*) sleep 8;; esac; exec "$@"`)
	w := newE2EWorld(t, bin, func(cfg string) string { return wrapActuator(cfg, "set_rust_write_mode", slow) })
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	laptop := &e2eWorld{t: t, bin: w.bin, dir: w.dir, config: machineBConfig(t, w), dbURL: w.dbURL}
	first := laptop.command(map[string]string{"DB_URL": w.dbURL}, "rollback", "--env", "staging", "--approve", "rollback")
	must(t, first.Start())
	eventually(t, 60*time.Second, 100*time.Millisecond, "the first rollback acting on R1", func() bool {
		for _, r := range laptop.timeline("staging") {
			if r.Step == "rollback" && r.Kind == journal.KindIntent {
				return true
			}
		}
		return false
	})
	must(t, syscall.Kill(first.Process.Pid, syscall.SIGSTOP))
	start := time.Now()
	_, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	took := time.Since(start)
	must(t, syscall.Kill(first.Process.Pid, syscall.SIGCONT))
	_ = first.Wait()
	if code != exitRolledBack {
		t.Fatalf("second rollback against a suspended one: exit %d, want 6\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "answered none of the rollback's probes") && !strings.Contains(errOut, "fell silent") {
		t.Errorf("the second rollback does not say it took over a silent holder:\n%s", errOut)
	}
	for _, r := range w.timeline("staging") {
		if r.Step == "rollback" && r.Check == "lock" && strings.Contains(r.Message, "ended the session") {
			t.Logf("the second rollback ended the suspended one's session %s after it started (silence bound %s) and finished in %s",
				r.Time.Sub(start).Round(100*time.Millisecond), lock.DefaultBounds.Silence, took.Round(time.Second))
		}
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollbacks the world is %+v", st)
	}
}

// testFailingRStepDoesNotHoldTheNext: R1's actuator fails and its change
// never lands; R2 and R3 act while R1 is still observed (its outcome comes
// at verify_timeout), and the final observation names R1.
func testFailingRStepDoesNotHoldTheNext(t *testing.T, bin string) {
	failing := writeScript(t, t.TempDir(), "failing-freeze", `case "$*" in *shadow_only*) echo "deployment failed" >&2; exit 1;; esac; exec "$@"`)
	w := newE2EWorld(t, bin, func(cfg string) string {
		return verifyTimeout(t, wrapActuator(cfg, "set_rust_write_mode", failing), 20*time.Second)
	})
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	start := time.Now()
	out, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	t.Logf("rollback with a failing R1 took %s (verify_timeout 20s)", time.Since(start).Round(time.Second))
	if code != exitActionFailed || !strings.Contains(errOut, "R1") {
		t.Fatalf("rollback with a failing R1: exit %d, want 5 naming R1\n%s\n%s", code, out, errOut)
	}
	order := map[string]int{}
	for i, r := range w.timeline("staging") {
		if r.Step != "rollback" {
			continue
		}
		id, _, _ := strings.Cut(r.Check, " ")
		if _, seen := order[r.Kind+" "+id]; !seen {
			order[r.Kind+" "+id] = i
		}
	}
	r1done, ok := order[journal.KindOutcome+" R1"]
	if !ok {
		t.Fatal("no outcome journaled for R1")
	}
	for _, id := range []string{"R2", "R3"} {
		if at, ok := order[journal.KindIntent+" "+id]; !ok || at > r1done {
			t.Errorf("%s acted after R1's verify_timeout ran out (intent at %d, R1's outcome at %d, present %v)", id, at, r1done, ok)
		}
	}
	if st := w.state("staging"); st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("R2 and R3 did not reach their targets: %+v", st)
	}
	if !regexp.MustCompile(`NOT rolled back: R1`).MatchString(out + errOut) {
		t.Errorf("the outcome does not say the final observation found R1 not in place:\n%s\n%s", out, errOut)
	}
}

// TestALocalPreemptionStopsTheStepNotTheScreen: operate runs S1 (its route
// never takes effect, so it sits verifying); a rollback on the same machine
// preempts it. S1 stops and shows STOPPED; operate, the operator's screen,
// lives on.
func TestALocalPreemptionStopsTheStepNotTheScreen(t *testing.T) {
	tmux := toolBinary(t, "tmux", "local preemption", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	stuck := writeScript(t, t.TempDir(), "stuck-route", `case "$*" in *" rust"*) exit 0;; esac; exec "$@"`)
	// S1 sits verifying the route to Rust until the rollback; the
	// rollback then watches raceVerifyTimeout, not a minute, after its takeover.
	w := newE2EWorld(t, bin, func(cfg string) string {
		return verifyTimeout(t, wrapActuator(cfg, "route_writes", stuck), raceVerifyTimeout)
	})
	logFile := filepath.Join(t.TempDir(), "operate.log")
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+w.dbURL, bin, "operate", "--config", w.config, "--env", "staging",
		"--log-file", logFile)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("screen:\n%s\noperate's log:\n%s", op.capture(), b)
		}
	})
	op.waitFor("the panes", 40*time.Second, screenPanesLive)
	op.selectItem("S1")
	op.keys("Enter")
	op.waitFor("S1's confirm dialog", 30*time.Second, func(s string) bool { return strings.Contains(s, "CONFIRM S1") })
	if strings.Contains(op.capture(), "override reason") {
		op.literal("local preemption test")
	}
	op.waitConfirmable()
	op.keys("Enter")
	eventually(t, 60*time.Second, 200*time.Millisecond, "S1 verifying its route", func() bool {
		for _, r := range w.timeline("staging") {
			if r.Kind == journal.KindIntent && r.Step == "S1" && strings.HasPrefix(r.Check, "route_writes") {
				return true
			}
		}
		return false
	})
	pid := lockHolderPID(t, w)

	out, errOut, code := w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack {
		t.Fatalf("rollback preempting operate's S1: exit %d, want 6\n%s\n%s", code, out, errOut)
	}
	op.waitFor("S1 shown STOPPED on the screen", 30*time.Second, func(s string) bool {
		return regexp.MustCompile(`STOPPED +S1`).MatchString(s) || regexp.MustCompile(`S1 .*STOPPED`).MatchString(s)
	})
	if s := op.capture(); strings.Contains(s, "cockpit exited") {
		t.Fatalf("the rollback closed the operator's screen:\n%s", s)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("operate (pid %d) is gone after the local preemption: %v", pid, err)
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback the world is %+v", st)
	}
	op.keys("q")
	op.waitFor("operate to quit when asked", 30*time.Second, func(s string) bool { return strings.Contains(s, "cockpit exited") })
}
