package runbook

import (
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
	recs = append(recs, step("S2", at.Add(time.Minute), writeProbeStepName)...)
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
	g := stagingGate(prod, map[string]History{"staging": h}, t0)
	if g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "S2 not done after S1") || !strings.Contains(g.Evidence.Value, "S3 not done after S2") {
		t.Fatalf("S4's staging gate with S2/S3 only observed: %s, want FAIL naming S2 and S3", g.Line(t0))
	}
	appendAll(t, path, stagingRunbook(t0.Add(time.Hour))...)
	g = stagingGate(prod, map[string]History{"staging": r.Read()}, t0)
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
	staging := map[string]History{}
	for name, r := range e.staging {
		staging[name] = r.Read()
	}
	if g := stagingGate(cfg.Environments["production"], staging, t0); g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "staging: S1 not done") {
		t.Fatalf("dev2 done, staging required and not done: %s, want FAIL on staging", g.Line(t0))
	}
	appendAll(t, journal.Path(state, "staging"), stagingRunbook(t0)...)
	if g := stagingGate(cfg.Environments["production"], map[string]History{"staging": e.staging["staging"].Read()}, t0); g.Verdict != checks.Pass {
		t.Fatalf("staging done: %s, want PASS", g.Line(t0))
	}
}
