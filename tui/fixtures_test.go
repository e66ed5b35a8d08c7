package tui

import (
	"context"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// clock is the fixed "now" of every test: screens are byte-for-byte stable.
var clock = time.Date(2026, 3, 1, 14, 3, 22, 0, time.UTC)

func result(id, title string, v checks.Verdict, value string, age time.Duration) checks.Result {
	return checks.Result{ID: id, Title: title, Verdict: v, ObservedAt: clock.Add(-age),
		Evidence: checks.Evidence{Source: "GET http://rust:4100/healthz", Value: value, Rule: "must be " + value}}
}

func items() []runbook.ItemStatus {
	defs := []struct {
		id, title string
		kind      runbook.Kind
		v         checks.Verdict
	}{
		{"P1", "parity gate allow", runbook.Precondition, checks.Pass},
		{"P2", "no critical diffs", runbook.Precondition, checks.Pass},
		{"P3", "health/readiness/projector", runbook.Precondition, checks.Pass},
		{"P4", "DB role isolation", runbook.Precondition, checks.Pass},
		{"S1", "rust shadow_only, legacy active", runbook.Step, checks.Unknown},
		{"S2", "verify staging write path", runbook.Step, checks.Unknown},
		{"V1", "write probe succeeds", runbook.Verification, checks.Pending},
		{"V4", "error rate, drift, checkpoints steady", runbook.Verification, checks.Pass},
		{"R1", "set rust shadow_only", runbook.Rollback, checks.Unknown},
	}
	out := make([]runbook.ItemStatus, len(defs))
	for i, d := range defs {
		it := &runbook.Item{ID: d.id, Kind: d.kind, Title: d.title, Text: "runbook words for " + d.id,
			Writes: d.kind == runbook.Step, Confirm: runbook.ConfirmYesNo}
		out[i] = runbook.ItemStatus{Item: it, Verdict: d.v,
			Checks: []checks.Result{result(d.id+".gate", d.title, d.v, "ok", 3*time.Second)}}
	}
	return out
}

func series(base float64) []metrics.Point {
	pts := make([]metrics.Point, 20)
	for i := range pts {
		pts[i] = metrics.Point{T: clock.Add(time.Duration(i-20) * 15 * time.Second), V: base * float64(1+i%5)}
	}
	return pts
}

// sample is a signal's value over plenty of traffic (ratios are judged).
func sample(name string, v float64, age time.Duration) metrics.Sample {
	return metrics.Sample{Signal: name, Value: v, HasValue: true, Series: 1, History: series(v / 3), At: clock.Add(-age),
		Volume: 1000, HasVolume: true}
}

// healthyState is a staging cutover mid-way, everything green and fresh:
// Rust is the authority, legacy frozen, one writer.
func healthyState() runbook.State {
	age := 2 * time.Second
	st := runbook.State{
		Env: "staging",
		Observed: runbook.Observed{
			RustWriteMode: result("mode", "rust write mode", checks.Pass, "rust_active", age),
			LegacyFreeze:  result("freeze", "legacy freeze", checks.Pass, "frozen", age),
			WriteTarget:   result("target", "write target", checks.Pass, "rust", age),
			CohortPercent: 100,
		},
		Writers: runbook.Writers{Rust: checks.Accepting, Legacy: checks.Frozen},
		Items:   items(),
		Incidents: []runbook.IncidentStatus{
			{ID: "critical_parity", Runbook: "I1", Title: "critical parity", State: runbook.IncidentOK, HasValue: true, Value: 0, Threshold: 0, Comparator: ">", Unit: "count"},
			{ID: "frozen_writes", Runbook: "I2", Title: "frozen writes", State: runbook.IncidentOK, HasValue: true, Value: 0, Threshold: 0, Comparator: ">", Unit: "count", For: 2 * time.Minute},
			{ID: "write_error_spike", Runbook: "I2", Title: "write error spike", State: runbook.IncidentOK, HasValue: true, Value: 0.003, Threshold: 0.02, Comparator: ">", Unit: "ratio", For: 10 * time.Minute,
				Evidence: "rust (authority): sum(rate(…)) → 0.3% → > 2% for 10m → ok"},
			{ID: "checkpoint_regression", Runbook: "I3", Title: "checkpoint", State: runbook.IncidentOK, Threshold: 0, Comparator: ">", Unit: "count"},
			{ID: "unbounded_drift", Runbook: "I3", Title: "drift", State: runbook.IncidentOK, HasValue: true, Value: 0, Threshold: 3, Comparator: ">", Unit: "count"},
			writers(runbook.IncidentOK, 1, "one writer"),
		},
		Snapshot: metrics.Snapshot{Seq: 7, At: clock.Add(-age), Samples: map[string]metrics.Sample{
			"rust_write_error_rate":   sample("rust_write_error_rate", 0.003, age),
			"legacy_write_error_rate": sample("legacy_write_error_rate", 0, age),
			"legacy_http_5xx_ratio":   sample("legacy_http_5xx_ratio", 0.001, age),
			"rust_write_share":        sample("rust_write_share", 1, age),
			"projection_lag":          sample("projection_lag", 3, age),
			"drift_events":            sample("drift_events", 0, age),
		}},
		Parity: runbook.ParityStatus{Result: result("P1", "parity gate", checks.Pass, "allow", 41*time.Second),
			Decision: "allow", Path: "reports/staging/parity-0301.json"},
		Health: []checks.Result{
			result("rust.health", "rust health", checks.Pass, "ok", age),
			result("rust.ready", "rust readiness", checks.Pass, "ready", age),
			result("legacy.health", "legacy health", checks.Pass, "ok", age),
		},
		At: clock.Add(-age),
	}
	setCheckpoint(&st, checkpoint(checks.Pass, "2 runs watched: 2 at or above their highest seq", 4*time.Second))
	return st
}

// writers is the standing exactly-one-writer check as the runbook reports
// it: value is how many runtimes accept writes.
func writers(state runbook.IncidentState, n float64, verdict string) runbook.IncidentStatus {
	return runbook.IncidentStatus{ID: "exactly_one_writer", Runbook: "W", Title: "exactly one writer", State: state,
		HasValue: true, Value: n, Threshold: 1, Comparator: "=", Unit: "count", At: clock,
		Evidence: "safe frozen probes (…) → rust accepting, legacy frozen → exactly one accepting; neither for < 2m → " + verdict}
}

// setWriters replaces the state's exactly-one-writer check.
func setWriters(s *runbook.State, in runbook.IncidentStatus) {
	for i := range s.Incidents {
		if s.Incidents[i].ID == in.ID {
			s.Incidents[i] = in
		}
	}
}

// checkpoint is the projector watch's checkpoint verdict, as P3 and V4 carry it.
func checkpoint(v checks.Verdict, value string, age time.Duration) checks.Result {
	r := result("projector.checkpoint_regression", "checkpoint regression (watched runs)", v, value, age)
	r.Evidence.Source = "GET http://rust:4100/internal/v1/projectors/checkpoints/:run_id"
	return r
}

// setCheckpoint puts r among P3's and V4's checks, replacing any earlier one.
func setCheckpoint(s *runbook.State, r checks.Result) {
	for i, it := range s.Items {
		if it.Item.ID != "P3" && it.Item.ID != "V4" {
			continue
		}
		kept := []checks.Result{}
		for _, c := range it.Checks {
			if c.ID != r.ID {
				kept = append(kept, c)
			}
		}
		s.Items[i].Checks = append(kept, r)
	}
	s.Checkpoints = r
}

// staleState is the healthy state whose data stopped two minutes ago: the
// sampler still queries (At is fresh) but the newest scrape is old, and the
// probes last answered then.
func staleState() runbook.State {
	s := healthyState()
	old := 2 * time.Minute
	for k, v := range s.Snapshot.Samples {
		v.DataAt = clock.Add(-old)
		s.Snapshot.Samples[k] = v
	}
	for i := range s.Health {
		s.Health[i].ObservedAt = clock.Add(-old)
	}
	s.Observed.RustWriteMode.ObservedAt = clock.Add(-old)
	setCheckpoint(&s, checkpoint(checks.Pass, "2 runs watched: 2 at or above their highest seq", old))
	return s
}

// firingState has the write error spike firing and drift pending.
func firingState() runbook.State {
	s := healthyState()
	s.Incidents[2].State = runbook.IncidentFiring
	s.Incidents[2].Value = 0.031
	s.Incidents[4].State = runbook.IncidentPending
	s.Incidents[4].Value = 5
	s.Incidents[4].PendingFor = 2*time.Minute + 10*time.Second
	s.Incidents[4].For = 5 * time.Minute
	s.Snapshot.Samples["rust_write_error_rate"] = sample("rust_write_error_rate", 0.031, 2*time.Second)
	return s
}

// twoWritersState has both runtimes accepting writes outside any step.
func twoWritersState() runbook.State {
	s := healthyState()
	s.Observed.LegacyFreeze = result("freeze", "legacy freeze", checks.Pass, "not frozen", 2*time.Second)
	s.Writers.Legacy = checks.Accepting
	setWriters(&s, writers(runbook.IncidentFiring, 2,
		"BOTH runtimes accept writes: finish the step that moves the authority (S1/S4) or roll back (r)"))
	return s
}

// fakeObserver returns a fixed state, as the engine would after one round.
type fakeObserver struct {
	mu    sync.Mutex
	state runbook.State
}

func (f *fakeObserver) Observe(context.Context) runbook.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// fakeActor stands in for the executor: it records what it was asked and,
// when release is set, holds Execute until the test lets it finish.
type fakeActor struct {
	mu        sync.Mutex
	plan      executor.Plan
	planned   []string
	executed  []executor.Approval
	progress  []executor.Progress
	release   chan struct{}
	cancelled chan struct{}
}

func (f *fakeActor) Plan(_ context.Context, id string) (executor.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planned = append(f.planned, id)
	p := f.plan
	p.ID = id
	return p, nil
}

func (f *fakeActor) Execute(ctx context.Context, p executor.Plan, a executor.Approval, report func(executor.Progress)) (executor.Outcome, error) {
	f.mu.Lock()
	f.executed = append(f.executed, a)
	steps := f.progress
	release := f.release
	f.mu.Unlock()
	for _, s := range steps {
		report(s)
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			if f.cancelled != nil {
				close(f.cancelled)
			}
			return executor.Outcome{Step: p.ID, Message: "abandoned"}, ctx.Err()
		}
	}
	return executor.Outcome{Step: p.ID, OK: true, Message: "verified"}, nil
}

func (f *fakeActor) counts() (planned, executed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.planned), len(f.executed)
}

func greenPlan(production bool) executor.Plan {
	env := "staging"
	if production {
		env = "production"
	}
	return executor.Plan{
		Item: &runbook.Item{ID: "S1", Title: "rust shadow_only, legacy active", Writes: true, Confirm: runbook.ConfirmYesNo},
		Env:  env, Production: production, Writes: true, GatesGreen: true, At: clock,
		Calls: []executor.Call{{Actuator: "set_rust_write_mode",
			Argv:        []string{"gcloud", "run", "services", "update", "runtime", "--update-env-vars", "RUNTIME_AUTHORITY_WRITE_MODE=shadow_only"},
			Description: "rust write mode → shadow_only"}},
		// The live rounds' own P1.gate: a round landing while the dialog
		// is open (a busy machine is slower than Refresh) draws the same frame.
		Gates: []checks.Result{result("P1.gate", "parity gate allow", checks.Pass, "ok", 3*time.Second)},
	}
}

func testSignals() map[string]*config.Signal { return config.DefaultSignals() }

// newFixedModel builds a model that observes s (unless o brings its own
// observer) on the fixed clock, ASCII renderer and default signals every
// test shares.
func newFixedModel(t testing.TB, o Options, s runbook.State) *Model {
	t.Helper()
	if o.Observer == nil {
		o.Observer = &fakeObserver{state: s}
	}
	o.Env = orText(o.Env, "staging")
	o.Now = func() time.Time { return clock }
	o.Profile = colorprofile.NoTTY
	o.StaleAfter = 10 * time.Second
	o.Refresh = time.Second // rounds are delivered by hand (StateMsg); the live cutoff is 3s
	o.Signals = testSignals()
	m, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTestModel builds a model at a size, with one observation delivered.
func newTestModel(t testing.TB, o Options, s runbook.State, w, h int) *Model {
	t.Helper()
	m := newFixedModel(t, o, s)
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(StateMsg{Seq: m.obs.seq, State: s})
	return m
}

// keyFor turns a binding's first key into the message a terminal would send,
// so tests press keys through the KeyMap rather than by hard-coded strings.
func keyFor(b key.Binding) tea.KeyPressMsg {
	k := b.Keys()[0]
	special := map[string]tea.KeyPressMsg{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "ctrl+c": {Code: 'c', Mod: tea.ModCtrl},
		"ctrl+r": {Code: 'r', Mod: tea.ModCtrl}, "up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown},
	}
	if msg, ok := special[k]; ok {
		return msg
	}
	return typed(k)
}

// typed is the key press of one printable character.
func typed(k string) tea.KeyPressMsg {
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(typed(string(r)))
	}
}

// launch runs a command the way the program would, batches concurrently,
// and delivers each message on the returned channel. Commands that block (a
// ticker, a held action) simply deliver nothing.
func launch(cmd tea.Cmd) <-chan tea.Msg {
	out := make(chan tea.Msg, 16)
	var start func(c tea.Cmd)
	start = func(c tea.Cmd) {
		go func() {
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, sub := range b {
					if sub != nil {
						start(sub)
					}
				}
				return
			}
			out <- msg
		}()
	}
	if cmd != nil {
		start(cmd)
	}
	return out
}

// await returns the first message of type T from ch.
func await[T any](t *testing.T, ch <-chan tea.Msg) T {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-ch:
			if v, ok := m.(T); ok {
				return v
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T arrived", zero)
			return zero
		}
	}
}
