package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// Re-running a step must not re-apply it: every mode change is a new
// revision, and the Rust runtime keeps runs in memory only.
func TestRerunningS1AppliesNothingAlreadyInPlace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	run := func() Outcome {
		p, err := h.x.Plan(t.Context(), "S1")
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", Via: "test"}, nil)
		if err != nil || !out.OK {
			t.Fatalf("S1: %+v %v", out, err)
		}
		return out
	}
	run()
	before := len(h.records(t))
	run()
	second := h.records(t)[before:]
	if got := kinds(second); got != "approval,outcome,outcome,outcome,outcome" {
		t.Fatalf("second S1 journaled %s, want an approval and outcomes only (no intent: nothing applied)", got)
	}
	for _, r := range second[1:4] {
		if r.OK == nil || !*r.OK || !strings.Contains(r.Message, "already in place") {
			t.Errorf("sub-step %s: %+v, want OK already in place", r.Check, r)
		}
	}
}

// A deploy that lands after the CLI gave up: the actuator is killed at its
// timeout, the change shows up a moment later, and the outcome says so.
func TestATimedOutActuatorWhoseChangeLandsIsApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	// The change is made by "the platform" (a process outside the
	// actuator's group, so killing the CLI does not stop it), half a
	// second after the CLI is killed. The CLI gets 3s, not less: on a busy
	// machine a shell may not even start within 200ms, and a CLI killed
	// before it submits anything changes nothing.
	late := `setsid -f sh -c 'sleep 3.5; printf "%s" "$0" > "$1"' "$1" "` + h.world.dir + `/mode"; sleep 60`
	h.world.env.Actuators.SetRustWriteMode = &config.Action{Timeout: config.Duration(3 * time.Second),
		Argv: []string{script(t, t.TempDir(), "late", late), "{{.Mode}}"}}
	// Verification returns as soon as the mode shows.
	h.world.env.VerifyTimeout = config.Duration(30 * time.Second)
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || !out.OK {
		t.Fatalf("S1 with a late actuator: %+v %v, want OK once the mode is observed", out, err)
	}
	for _, r := range h.records(t) {
		if r.Kind == journal.KindOutcome && r.Check == "set_rust_write_mode=rust_active" {
			if r.OK == nil || !*r.OK || !strings.HasPrefix(r.Message, "applied, actuator timed out: rust write mode") {
				t.Fatalf("journal: %+v, want OK \"applied, actuator timed out\"", r)
			}
			return
		}
	}
	t.Fatal("no outcome for set_rust_write_mode")
}

// A rate over a window that began before the change mixes in the old
// routing: the share passes only once its whole window is after it.
func TestShareIsVerifiedOnlyOnDataAfterTheChange(t *testing.T) {
	change := t0
	check := shareAfter(func(runbook.State, time.Time) (checks.Verdict, string) { return checks.Pass, "writes → rust" })
	st := func(dataAt time.Time) runbook.State {
		return runbook.State{At: dataAt, Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
			runbook.ShareSignal: {At: dataAt, DataAt: dataAt, Window: 2 * time.Minute}}}}
	}
	if v, line := check(st(change.Add(30*time.Second)), change); v != checks.Pending || !strings.Contains(line, "1m30s to go") {
		t.Errorf("30s after the change with a 2m window: %v %q, want PENDING, 1m30s to go", v, line)
	}
	if v, _ := check(st(change.Add(2*time.Minute+time.Second)), change); v != checks.Pass {
		t.Errorf("window wholly after the change: %v, want PASS", v)
	}
	if v, _ := check(st(change.Add(-time.Hour)), time.Time{}); v != checks.Pass {
		t.Errorf("already-in-place check (no change yet): %v, want PASS", v)
	}
}

// lostLock is a lock whose session ends while held, as a PostgreSQL lock
// does when a rollback takes it over: a fake, because the point is the
// executor's answer, not how the loss happens (lock/ tests that with a
// real PostgreSQL).
type lostLock struct{ lost chan error }

func (l lostLock) Acquire(context.Context, lock.Holder) (*lock.Lease, error) {
	return lock.NewLease(func() error { return nil }, l.lost), nil
}

// A forward step whose lock is lost stops at its next safe point: no
// further actuator starts, the outcome names the cause.
func TestAForwardStepStopsWhenItsLockIsLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	lost := make(chan error, 1)
	h.x.locker = lostLock{lost: lost}
	slow := `sleep 0.3; printf '%s' "$1" > "` + h.world.dir + `/mode"`
	h.world.env.Actuators.SetRustWriteMode = &config.Action{Timeout: config.Duration(5 * time.Second),
		Argv: []string{script(t, t.TempDir(), "slow", slow), "{{.Mode}}"}}
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	lost <- errors.New("the advisory lock's database session was lost")
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || out.OK || !strings.Contains(out.Message, "interrupted") || !strings.Contains(out.Message, "lock lost") {
		t.Fatalf("S1 with its lock lost: %+v %v, want interrupted naming the lost lock", out, err)
	}
	if h.file("target") != "" || h.file("freeze") != "" {
		t.Error("actuators started after the lock was lost")
	}
}

// A 5% cohort may not have served the requests its error ratio needs when
// the soak ends: the soak waits until the criterion can tell, rather than
// failing S4 on "unknown" or passing on it.
func TestASoakGoesOnWhileACriterionCannotTell(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.world.env.Soak = config.Duration(100 * time.Millisecond)
	start := time.Now()
	h.world.incidents = func() []runbook.IncidentStatus {
		state := runbook.IncidentUnknown // too little traffic at first
		if time.Since(start) > 600*time.Millisecond {
			state = runbook.IncidentOK
		}
		return []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: state}}
	}
	ok, msg := h.x.soak(h.world.env.Soak.D())(t.Context())
	if !ok || !strings.HasPrefix(msg, "soaked") {
		t.Fatalf("soak: %v %q, want it to pass once the criterion could tell", ok, msg)
	}
	h.world.incidents = func() []runbook.IncidentStatus {
		return []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: runbook.IncidentUnknown}}
	}
	h.world.env.VerifyTimeout = config.Duration(300 * time.Millisecond)
	if ok, msg := h.x.soak(h.world.env.Soak.D())(t.Context()); ok || !strings.Contains(msg, "holding") {
		t.Fatalf("soak never able to tell: %v %q, want it to hold", ok, msg)
	}
}

// A partial cohort's share is a sample: the cohort before it can read
// within tolerance of it by chance (a 5% cohort read 21% on a window of 20
// runs), and S4 must still set it, never skip it as "already in place".
func TestS4SetsAPartialCohortThatASampleAlreadyShows(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	if err := os.WriteFile(filepath.Join(h.world.dir, "cohort"), []byte("21"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := h.x.Plan(t.Context(), "S4")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", TypedEnv: "production"}, nil)
	if err != nil || !out.OK {
		t.Fatalf("S4: %+v %v", out, err)
	}
	called := false
	for _, r := range h.records(t) {
		if r.Check != "set_cohort=25" {
			continue
		}
		called = called || r.Kind == journal.KindIntent
		if r.Kind == journal.KindOutcome && strings.Contains(r.Message, "already in place") {
			t.Errorf("set_cohort=25 skipped on a 21%% sample: %+v", r)
		}
	}
	if !called {
		t.Error("set_cohort=25 was never called")
	}
}
