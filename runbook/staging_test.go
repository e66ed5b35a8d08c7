package runbook

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

// stagingRunbook is staging's runbook as the executor journals it: S1
// setting the promoted values, S2 with its write probe, S3, V2–V4, each its
// own final outcome.
func stagingRunbook(at time.Time) []journal.Record {
	recs := step("S1", at, stagingValues...)
	recs = append(recs, step("S2", at.Add(time.Minute), WriteProbeStep)...)
	for i, id := range []string{"S3", "V2", "V3", "V4"} {
		recs = append(recs, step(id, at.Add(time.Duration(2+i)*time.Minute))...)
	}
	return recs
}

// observedOnly is what every process journals at start without running
// anything: the engine's verdict changes (item as Check) and a check run's
// verdict lines. None of them is a step done.
func observedOnly(at time.Time) []journal.Record {
	var recs []journal.Record
	for _, id := range []string{"S2", "S3", "V1", "V2", "V3", "V4"} {
		recs = append(recs, journal.Record{Time: at, Kind: journal.KindVerdict, Check: id, Verdict: "PASS", Evidence: "observed"},
			journal.Record{Time: at, Kind: journal.KindVerdict, Step: id, Check: strings.ToLower(id) + ".check", Verdict: "PASS"})
	}
	return recs
}

// TestObservedVerdictsNeverMakeAStepDone: staging's S1 ran; S2 and S3 only
// read PASS (a parity report makes S3 PASS, V1's probe S2). Production's S4
// stays refused; once they run, it opens, naming who and where.
func TestObservedVerdictsNeverMakeAStepDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	appendAll(t, path, step("S1", t0, stagingValues...)...)
	appendAll(t, path, observedOnly(t0.Add(time.Minute))...)
	r := newHistoryReader(path)
	h := r.Read()
	for _, id := range []string{"S2", "S3", "V1", "V2", "V3", "V4"} {
		if _, done := h.Done[id]; done {
			t.Errorf("%s done from an observed verdict: %v", id, h.Done)
		}
	}
	prod := &config.Environment{Name: "production", Production: true, Requires: "staging"}
	g := stagingGate(prod, map[string]History{"staging": h}, cutOver(), t0)
	if g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "S2 not done after S1") || !strings.Contains(g.Evidence.Value, "S3 not done after S2") {
		t.Fatalf("S4's staging gate with S2/S3 only observed: %s, want FAIL naming S2 and S3", g.Line(t0))
	}
	appendAll(t, path, stagingRunbook(t0.Add(time.Hour))...)
	g = stagingGate(prod, map[string]History{"staging": r.Read()}, cutOver(), t0)
	if g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "S3 done 2026-03-01T15:02:00Z by ") ||
		!strings.Contains(g.Evidence.Value, "(this machine's journal)") {
		t.Fatalf("staging's runbook run: %s, want PASS naming each outcome's origin", g.Line(t0))
	}
}

// TestOnlyTheRequiredEnvironmentOpensS4: dev2 ran the whole runbook,
// staging (the one production requires) nothing: S4 stays refused.
func TestOnlyTheRequiredEnvironmentOpensS4(t *testing.T) {
	state := t.TempDir()
	raw := fmt.Sprintf(`
state_dir: %s
environments:
  dev2: &env
    prometheus: {url: "http://127.0.0.1:1"}
    rust_runtime: {url: "http://127.0.0.1:1"}
    legacy_runtime: {url: "http://127.0.0.1:1", signature_secret_env: TEST_SECRET}
  staging: *env
  production:
    production: true
    requires: staging
    prometheus: {url: "http://127.0.0.1:2"}
    rust_runtime: {url: "http://127.0.0.1:2"}
    legacy_runtime: {url: "http://127.0.0.1:2", signature_secret_env: TEST_SECRET}
`, state)
	cfg, err := config.Parse("test.yaml", []byte(raw), secretEnv("s"))
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, journal.Path(state, "dev2"), stagingRunbook(t0)...)
	e, err := NewEngine(cfg, "production", EngineOptions{LookupEnv: secretEnv("s")})
	if err != nil {
		t.Fatal(err)
	}
	if e.required == nil || e.required.engine == nil || e.required.engine.env.Name != "staging" {
		t.Fatalf("production's engine does not observe staging: %+v", e.required)
	}
	staging := map[string]History{}
	for name, r := range e.staging {
		staging[name] = r.Read()
	}
	if g := stagingGate(cfg.Environments["production"], staging, cutOver(), t0); g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "staging: S1 not done") {
		t.Fatalf("dev2 done, staging required and not done: %s, want FAIL on staging", g.Line(t0))
	}
	appendAll(t, journal.Path(state, "staging"), stagingRunbook(t0)...)
	if g := stagingGate(cfg.Environments["production"], map[string]History{"staging": e.staging["staging"].Read()}, cutOver(), t0); g.Verdict != checks.Pass {
		t.Fatalf("staging done: %s, want PASS", g.Line(t0))
	}
}

// cutOver is the required environment observed as the runbook leaves it:
// S1's target and V1–V4 PASS.
func cutOver() requiredObservation {
	return requiredObservation{st: observedItems(map[string]checks.Verdict{"S1": checks.Pass, "V1": checks.Pass,
		"V2": checks.Pass, "V3": checks.Pass, "V4": checks.Pass})}
}

func observedItems(verdicts map[string]checks.Verdict) *State {
	st := &State{}
	for id, v := range verdicts {
		st.Items = append(st.Items, ItemStatus{Item: FindItem(RunbookItems(), id), Verdict: v,
			Checks: []checks.Result{{ID: strings.ToLower(id) + ".check", Verdict: v, Evidence: checks.Evidence{Value: "observed " + v.String()}}}})
	}
	return st
}

// TestAJournalClaimAloneNeverOpensS4: staging's journal shows the whole
// runbook, but staging is not observed as it left it (rolled back, never
// cut over, or out of sight): S4's gate stays closed and says which.
func TestAJournalClaimAloneNeverOpensS4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	appendAll(t, path, stagingRunbook(t0)...)
	h := map[string]History{"staging": newHistoryReader(path).Read()}
	prod := &config.Environment{Name: "production", Production: true, Requires: "staging"}
	if g := stagingGate(prod, h, cutOver(), t0); g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "staging observed now") {
		t.Fatalf("staging done and observed cut over: %s, want PASS", g.Line(t0))
	}
	rolledBack := observedItems(map[string]checks.Verdict{"S1": checks.Fail, "V1": checks.Pass, "V2": checks.Fail,
		"V3": checks.Pass, "V4": checks.Pass})
	g := stagingGate(prod, h, requiredObservation{st: rolledBack}, t0)
	if g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "staging now: S1 FAIL now (s1.check FAIL: observed FAIL)") ||
		!strings.Contains(g.Evidence.Value, "V2 FAIL now") || strings.Contains(g.Evidence.Value[strings.Index(g.Evidence.Value, "staging now:"):], "V3") {
		t.Fatalf("staging journaled done, observed rolled back: %s, want FAIL naming S1 and V2", g.Line(t0))
	}
	blind := requiredObservation{err: errors.New("staging cannot be observed from this machine: DB_URL is not set")}
	if g := stagingGate(prod, h, blind, t0); g.Verdict != checks.Unknown || !strings.Contains(g.Evidence.String(), "DB_URL is not set") {
		t.Fatalf("staging out of sight: %s, want UNKNOWN saying why", g.Line(t0))
	}
	if g := stagingGate(prod, h, requiredObservation{}, t0); g.Verdict != checks.Unknown {
		t.Fatalf("staging not observed yet: %s, want UNKNOWN", g.Line(t0))
	}
}
