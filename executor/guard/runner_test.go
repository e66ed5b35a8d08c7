package guard

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// fakeActor records the rollbacks a runner runs through it.
type fakeActor struct {
	mu        sync.Mutex
	approvals []executor.Approval
}

func (a *fakeActor) Plan(_ context.Context, id string) (executor.Plan, error) {
	return executor.Plan{ID: id, Env: "staging"}, nil
}

func (a *fakeActor) Execute(_ context.Context, p executor.Plan, ap executor.Approval, _ func(executor.Progress)) (executor.Outcome, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.approvals = append(a.approvals, ap)
	return executor.Outcome{Step: p.ID, OK: true, Message: "rolled back"}, nil
}

func (a *fakeActor) ran() []executor.Approval {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.approvals)
}

// quiet says nothing: the journal is what the tests read.
type quiet struct{}

func (quiet) Told(Decision, string, string) {}
func (quiet) Plan(executor.Plan)            {}
func (quiet) Progress(executor.Progress)    {}
func (quiet) Outcome(*executor.Outcome)     {}

// spiking is a round after S1 with I2's error spike firing on fresh data.
func spiking(context.Context) runbook.State {
	now := time.Now()
	return runbook.State{At: now,
		Writers: runbook.Writers{Rust: checks.Accepting, Legacy: checks.Frozen},
		Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
			"rust_write_error_rate": {At: now, DataAt: now, Value: 0.09, HasValue: true},
		}},
		Incidents: []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", Title: "write error spike",
			State: runbook.IncidentFiring, Evidence: "rust_write_error_rate 0.09 > 0.05"}},
		History: runbook.History{Done: map[string]time.Time{"S1": now.Add(-time.Hour)}},
	}
}

// startRunner runs a guard with block as staging's guard: on observe's
// rounds, through a fake actor, into a journal of its own.
func startRunner(t *testing.T, block string, observe func(context.Context) runbook.State) (*Runner, *fakeActor, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	return startRunnerExporting(t, block, observe, nil)
}

// startRunnerExporting is startRunner with the runner's state exported to m.
func startRunnerExporting(t *testing.T, block string, observe func(context.Context) runbook.State, m Metrics) (*Runner, *fakeActor, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte("refresh: 20ms\nquery_timeout: 10ms\n"+roundConfig+"    guard: "+block+"\n"),
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	actor := &fakeActor{}
	r := &Runner{Cfg: cfg, Env: cfg.Environments["staging"], Observe: observe, Journal: j, Actor: actor,
		Detach: context.WithoutCancel, ObserveTimeout: time.Second, Out: quiet{}, Metrics: m}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	return r, actor, cancel, done
}

// verdicts are the guard records' verdicts in the journal, in order.
func verdicts(t *testing.T, j *journal.Journal) []string {
	t.Helper()
	var out []string
	_, err := journal.NewTail(j.Path()).Each(func(r journal.Record) error {
		if r.Kind == journal.KindGuard {
			out = append(out, r.Verdict)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func awaitVerdict(t *testing.T, j *journal.Journal, verdict string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Contains(verdicts(t, j), verdict) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s journaled; the guard journaled %v", verdict, verdicts(t, j))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunnerActsOnceThroughItsActor(t *testing.T) {
	var rounds atomic.Int32
	r, actor, cancel, done := startRunner(t, "{mode: act, criteria: [I2]}", func(ctx context.Context) runbook.State {
		rounds.Add(1)
		return spiking(ctx)
	})
	awaitVerdict(t, r.Journal, Acted.String())
	// Rounds go on firing: the incident is acted on once.
	for from := rounds.Load(); rounds.Load() < from+5; {
		time.Sleep(r.Cfg.Refresh.D())
	}
	cancel()
	<-done
	ran := actor.ran()
	if len(ran) != 1 || ran[0].Via != "guard" || !strings.Contains(ran[0].Evidence, "rust_write_error_rate 0.09") {
		t.Fatalf("rollbacks run: %+v; want one, approved via guard with the incident's evidence", ran)
	}
	want := []string{VerdictStarted, "advised", "acting", "acted", VerdictStopped}
	if got := verdicts(t, r.Journal); !slices.Equal(got, want) {
		t.Errorf("journaled %v, want %v", got, want)
	}
}

func TestRunnerReadsACancelFromTheJournal(t *testing.T) {
	r, actor, cancel, done := startRunner(t, "{mode: countdown, countdown: 1h, criteria: [I2]}", spiking)
	awaitVerdict(t, r.Journal, Countdown.String())
	if err := r.Journal.Append(journal.Record{Kind: journal.KindGuard, Verdict: VerdictCancel, Operator: "alice", Reason: "false alarm"}); err != nil {
		t.Fatal(err)
	}
	awaitVerdict(t, r.Journal, Cancelled.String())
	cancel()
	<-done
	if ran := actor.ran(); len(ran) != 0 {
		t.Errorf("a cancelled countdown ran %d rollbacks", len(ran))
	}
}

// exported is what a runner exported last (a selfmetrics.Exporter's part).
type exported struct {
	mu        sync.Mutex
	phases    []string
	phase     string
	remaining time.Duration
}

func (e *exported) Guard(phases []string, phase string, remaining time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.phases, e.phase, e.remaining = phases, phase, remaining
}

func (e *exported) last() (string, time.Duration, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.phase, e.remaining, e.phases
}

// TestRunnerExportsItsStateEachRound: a runner counting down exports the
// countdown phase, among the closed set of phases, with the time left
// (what cockpit_guard_state and cockpit_guard_countdown_seconds show).
func TestRunnerExportsItsStateEachRound(t *testing.T) {
	m := &exported{}
	r, _, cancel, done := startRunnerExporting(t, "{mode: countdown, countdown: 1h, criteria: [I2]}", spiking, m)
	defer func() { cancel(); <-done }()
	awaitVerdict(t, r.Journal, Countdown.String())
	phase, left, phases := m.last()
	for deadline := time.Now().Add(30 * time.Second); phase != Countdown.String() && time.Now().Before(deadline); phase, left, phases = m.last() {
		time.Sleep(10 * time.Millisecond)
	}
	if phase != Countdown.String() || left <= 59*time.Minute || left > time.Hour {
		t.Fatalf("exported %q with %s left, want countdown with about 1h left", phase, left)
	}
	if !slices.Contains(phases, Countdown.String()) || !slices.Contains(phases, Holding.String()) {
		t.Errorf("exported phases %v, want the closed set", phases)
	}
}
