package guard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

const roundConfig = `
stale_after: 90s
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`

func roundEnv(t *testing.T) (*config.Config, *config.Environment) {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte(roundConfig), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg, cfg.Environments["staging"]
}

// afterS1 is a round after S1: legacy frozen, rust's error rate 3m old,
// legacy's query failing, S3 running for alice, an older rollback by bob.
func afterS1(now time.Time) runbook.State {
	return runbook.State{At: now,
		Writers: runbook.Writers{Rust: checks.Accepting, Legacy: checks.Frozen},
		Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
			"rust_write_error_rate":   {At: now.Add(-time.Second), DataAt: now.Add(-3 * time.Minute), Value: 0.09, HasValue: true},
			"legacy_write_error_rate": {At: now, Err: errors.New("bad_data")},
			"frozen_write_refusals":   {At: now, DataAt: now, Err: errors.New("timeout")},
		}},
		Incidents: []runbook.IncidentStatus{
			{ID: "write_error_spike", Runbook: "I2", Title: "write error spike", State: runbook.IncidentUnknown, For: 10 * time.Minute},
			{ID: "frozen_writes", Runbook: "I2", State: runbook.IncidentOK},
			{ID: "critical_parity", Runbook: "I1", State: runbook.IncidentOK},
			{ID: runbook.WritersID, Runbook: "W", State: runbook.IncidentFiring},
		},
		Items: []runbook.ItemStatus{
			{Item: &runbook.Item{ID: "S3"}, Progress: runbook.StepProgress{State: runbook.Running, Operator: "alice"}},
			{Item: &runbook.Item{ID: "R1"}, Progress: runbook.StepProgress{State: runbook.Running, Operator: "bob"}},
		},
		History: runbook.History{
			Done:            map[string]time.Time{"S1": now.Add(-time.Hour), runbook.RollbackID: now.Add(-2 * time.Hour)},
			RollbackStarted: now.Add(-2*time.Hour - time.Minute),
			Last:            map[string]runbook.LastRun{runbook.RollbackID: {Operator: "bob"}},
		},
	}
}

func TestRoundOfReadsWhatTheEngineSaw(t *testing.T) {
	cfg, env := roundEnv(t)
	now := t0
	r := RoundOf(cfg, env, afterS1(now))
	if len(r.Criteria) != 3 {
		t.Fatalf("criteria = %+v, want the three configured ones (never the writers check)", r.Criteria)
	}
	spike := r.Criteria[0]
	// Legacy is frozen: its failing query is not an input of I2 now.
	if len(spike.Inputs) != 1 || spike.Inputs[0].Name != "rust_write_error_rate" {
		t.Fatalf("I2 inputs = %+v, want rust's error rate alone", spike.Inputs)
	}
	in := spike.Inputs[0]
	if !in.Stale() || in.StaleAfter != 90*time.Second || in.Age < 3*time.Minute {
		t.Errorf("rust error rate = %+v, want stale (3m old > 90s)", in)
	}
	if refusals := r.Criteria[1].Inputs; len(refusals) != 1 || refusals[0].Known || !strings.Contains(refusals[0].Why, "timeout") {
		t.Errorf("frozen_writes inputs = %+v, want unknown with the query error", refusals)
	}
	if r.Busy != "S3 by alice" {
		t.Errorf("busy = %q, want S3 by alice (a rollback's R-step is no human step to wait for)", r.Busy)
	}
	if !r.CutOver || r.Rollback.By != "bob" {
		t.Errorf("cut over %v, rollback %+v: want S1 after the rollback, by bob", r.CutOver, r.Rollback)
	}
	d := New(PolicyOf(env.Guard)).Observe(r)
	if d.Phase != Holding || !strings.Contains(d.Reason, "rust_write_error_rate stale for 1m30s") {
		t.Errorf("guard = %s, want holding on the stale rust error rate", d.Line())
	}
}

func TestRoundOfAfterARollbackHasNothingToRollBack(t *testing.T) {
	cfg, env := roundEnv(t)
	st := afterS1(t0)
	st.History.Done[runbook.RollbackID] = t0.Add(-time.Minute)
	st.Observed.WriteTarget.Evidence.Value = "legacy"
	if RoundOf(cfg, env, st).CutOver {
		t.Error("a rollback after S1 with writes on legacy reads as cut over")
	}
	st.Observed.WriteTarget.Evidence.Value = "split"
	if !RoundOf(cfg, env, st).CutOver {
		t.Error("writes split onto rust read as nothing to roll back")
	}
}

func TestRoundOfNamesTheRunningRollback(t *testing.T) {
	cfg, env := roundEnv(t)
	st := afterS1(t0)
	st.History.Open = []runbook.OpenAction{{Step: runbook.RollbackID, Operator: "alice", Host: "ops-1", PID: 77, Approved: st.History.RollbackStarted}}
	if by := RoundOf(cfg, env, st).Rollback.By; by != "alice on ops-1 (pid 77)" {
		t.Errorf("rollback by %q, want its operator, host and pid", by)
	}
}
