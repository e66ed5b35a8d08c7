package executor

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// t0 is the tests' fixed "now".
var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

// fileWorld stands in for the engine: the actuator scripts write the
// world's state into files and Observe reads it back, so post-verification
// sees exactly what the actuators did and nothing the executor remembers.
// The engine itself is tested against the simulated runtimes by its owner.
type fileWorld struct {
	dir   string
	env   *config.Environment
	mu    sync.Mutex
	gates []checks.Result
	// incidents returns the incident states for each observation.
	incidents func() []runbook.IncidentStatus
	// noted are the write probe runs handed to the world.
	noted []checks.WriteProbeReport
}

func (w *fileWorld) Env() *config.Environment { return w.env }

func (w *fileWorld) NoteProbeRun(rep checks.WriteProbeReport) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.noted = append(w.noted, rep)
}

func (w *fileWorld) Gates(_ runbook.State, id string) []checks.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	if id == runbook.RollbackID || id == "P1" {
		return nil
	}
	return w.gates
}

func (w *fileWorld) read(name string) checks.Result {
	b, err := os.ReadFile(filepath.Join(w.dir, name))
	r := checks.Result{ID: name, ObservedAt: time.Now(), Evidence: checks.Evidence{Source: name}}
	if err != nil {
		return r // Unknown
	}
	r.Verdict, r.Evidence.Value = checks.Pass, strings.TrimSpace(string(b))
	return r
}

func (w *fileWorld) Observe(context.Context) runbook.State {
	s := runbook.State{Env: w.env.Name, Production: w.env.Production, At: time.Now(),
		Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
			"write_error_rate":  {Signal: "write_error_rate", Query: "sum(rate(x[1m]))", Value: 0.004, HasValue: true, At: time.Now()},
			runbook.ShareSignal: {Signal: runbook.ShareSignal, Query: "sum(rate(y[1s]))", HasValue: true, At: time.Now(), DataAt: time.Now()}}}}
	s.Observed = runbook.Observed{RustWriteMode: w.read("mode"), LegacyFreeze: w.read("freeze"), WriteTarget: w.read("target"),
		CohortPercent: math.NaN()}
	if c := w.read("cohort"); c.Verdict == checks.Pass {
		s.Observed.CohortPercent, _ = strconv.ParseFloat(c.Evidence.Value, 64)
	}
	s.Incidents = []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: runbook.IncidentOK}}
	if w.incidents != nil {
		s.Incidents = w.incidents()
	}
	s.Items = []runbook.ItemStatus{{Item: runbook.FindItem(runbook.RunbookItems(), "P1"), Verdict: checks.Fail, Checks: []checks.Result{
		{ID: "parity.gate", Verdict: checks.Fail, ObservedAt: time.Now(), Evidence: checks.Evidence{Source: "report.json", Value: "block"}}}}}
	return s
}

func green(ids ...string) []checks.Result {
	out := make([]checks.Result, len(ids))
	for i, id := range ids {
		out[i] = checks.Result{ID: id, Verdict: checks.Pass, ObservedAt: time.Now(), Evidence: checks.Evidence{Source: id, Value: "ok"}}
	}
	return out
}

type harness struct {
	world   *fileWorld
	x       *Executor
	journal string
	cfg     *config.Config
	lock    *lock.File
}

// newHarness wires an executor whose actuators are scripts that write the
// world's files; failing names actuators whose script exits 1 instead.
func newHarness(t *testing.T, production bool, failing ...string) *harness {
	t.Helper()
	dir := t.TempDir()
	world := filepath.Join(dir, "world")
	if err := os.MkdirAll(world, 0o700); err != nil {
		t.Fatal(err)
	}
	mk := func(name, field, body string) *config.Action {
		for _, f := range failing {
			if f == name {
				body = `echo "refused by the platform" >&2; exit 1`
			}
		}
		return action(script(t, dir, name, body), field)
	}
	w := func(file string) string { return `printf '%s' "$1" > "` + filepath.Join(world, file) + `"` }
	env := &config.Environment{Name: "staging", Production: production,
		RustRuntime:   config.RustRuntime{URL: "http://127.0.0.1:1"},
		Parity:        config.Parity{Reports: filepath.Join(dir, "reports", "*.json")},
		Cohorts:       []int{25, 100},
		Soak:          config.Duration(50 * time.Millisecond),
		VerifyTimeout: config.Duration(2 * time.Second),
	}
	if production {
		env.Name = "production"
	}
	env.Actuators = config.Actuators{
		SetRustWriteMode: mk("set_rust_write_mode", "{{.Mode}}", w("mode")),
		SetLegacyFreeze:  mk("set_legacy_freeze", "{{.Freeze}}", `if [ "$1" = true ]; then echo frozen; else echo "not frozen"; fi > "`+filepath.Join(world, "freeze")+`"`),
		RouteWrites:      mk("route_writes", "{{.Target}}", w("target")),
		SetCohort:        mk("set_cohort", "{{.Percent}}", w("cohort")),
	}
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reports", "parity-report.json"), []byte(`{"gate":{"decision":"allow"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{StateDir: filepath.Join(dir, "state")}
	jpath := journal.Path(cfg.StateDir, env.Name)
	j, err := journal.Open(jpath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	fw := &fileWorld{dir: world, env: env, gates: green("P1", "P2", "P3", "P4")}
	l := lock.FileLock(filepath.Join(cfg.StateDir, env.Name+".lock"))
	x := New(fw, j, l, Options{Config: cfg, PollInterval: 10 * time.Millisecond, Host: "testhost"})
	return &harness{world: fw, x: x, journal: jpath, cfg: cfg, lock: l}
}

// records is the journal without the lock changing hands: what the
// action did (lockRecords has the rest).
func (h *harness) records(t *testing.T) []journal.Record {
	t.Helper()
	var out []journal.Record
	for _, r := range h.allRecords(t) {
		if !isLockHandover(r) {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) allRecords(t *testing.T) []journal.Record {
	t.Helper()
	recs, err := journal.Read(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func isLockHandover(r journal.Record) bool {
	return r.Kind == journal.KindProgress && r.Check == "lock" &&
		(strings.HasPrefix(r.Message, LockTakenMessage) || r.Message == LockReleasedMessage)
}

func kinds(recs []journal.Record) string {
	var ks []string
	for _, r := range recs {
		ks = append(ks, r.Kind)
	}
	return strings.Join(ks, ",")
}

func (h *harness) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(h.world.dir, name))
	return string(b)
}

func TestExecuteS1RunsEachActuatorAndVerifiesTheObservedState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	p, err := h.x.Plan(t.Context(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Calls) != 3 || !strings.HasSuffix(p.Calls[0].Show(), " rust_active") || !p.GatesGreen {
		t.Fatalf("plan calls %v, gates green %v", p.Calls, p.GatesGreen)
	}
	var progress []Progress
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", Via: "test"}, func(pr Progress) { progress = append(progress, pr) })
	if err != nil || !out.OK {
		t.Fatalf("S1: %+v, %v", out, err)
	}
	if h.file("mode") != "rust_active" || h.file("target") != "rust" || strings.TrimSpace(h.file("freeze")) != "frozen" {
		t.Errorf("world after S1: mode %q target %q freeze %q", h.file("mode"), h.file("target"), h.file("freeze"))
	}
	if got, want := kinds(h.records(t)), "approval,intent,outcome,intent,outcome,intent,outcome,outcome"; got != want {
		t.Errorf("journal kinds %s, want %s", got, want)
	}
	// The lock changing hands brackets the action, for watchers.
	all := h.allRecords(t)
	if first, last := all[0], all[len(all)-1]; !isLockHandover(first) || first.Message != LockTakenMessage+" for S1" ||
		!isLockHandover(last) || last.Message != LockReleasedMessage {
		t.Errorf("the lock records: first %+v, last %+v", first, last)
	}
	intent := h.records(t)[1]
	if intent.Operator != "alice" || len(intent.Argv) == 0 || intent.Argv[len(intent.Argv)-1] != "rust_active" {
		t.Errorf("intent record %+v", intent)
	}
	subs := map[string]bool{}
	for _, pr := range progress {
		subs[pr.SubStep] = true
		if pr.Step != "S1" || pr.Started.IsZero() {
			t.Errorf("progress %+v", pr)
		}
	}
	if len(subs) != 3 {
		t.Errorf("progress named %d sub-steps, want 3: %v", len(subs), subs)
	}
}

func TestExecuteRefusesRedGatesWithoutAnOverrideAndChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	h.world.gates = append(green("P1", "P2", "P3"), checks.Result{ID: "P4", Verdict: checks.Unknown,
		Evidence: checks.Evidence{Source: "pg", Reason: "timeout"}})
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, "P4") {
		t.Fatalf("want a refusal naming P4, got %v", err)
	}
	if h.file("mode") != "" {
		t.Error("a refused step changed the world")
	}
	if got := kinds(h.records(t)); got != "refused" {
		t.Errorf("journal %s, want refused", got)
	}

	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", OverrideReason: "P4 db unreachable from laptop; verified by DBA"}, nil)
	if err != nil || !out.OK {
		t.Fatalf("with override: %+v %v", out, err)
	}
	recs := h.records(t)
	if recs[2].Kind != journal.KindOverride || recs[2].Reason != "P4 db unreachable from laptop; verified by DBA" || !strings.Contains(recs[2].Evidence, "P4") {
		t.Errorf("override record %+v", recs[2])
	}
}

func TestExecuteInProductionNeedsTheEnvironmentTyped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	if _, err := h.x.Plan(t.Context(), "S1"); err == nil {
		t.Error("S1 planned on production")
	}
	p, err := h.x.Plan(t.Context(), "S4")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.x.Execute(t.Context(), p, Approval{Operator: "alice", TypedEnv: "staging"}, nil)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("want refusal, got %v", err)
	}
	if !strings.Contains(refused.Reason, "--confirm-env production") {
		t.Errorf("the refusal %q does not say how to confirm", refused.Reason)
	}
	if h.file("mode") != "" {
		t.Error("production changed without its name typed")
	}
}

func TestExecuteS4WalksCohortsAndEndsLikeS1(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	p, err := h.x.Plan(t.Context(), "S4")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", TypedEnv: "production"}, nil)
	if err != nil || !out.OK {
		t.Fatalf("S4: %+v %v", out, err)
	}
	if h.file("cohort") != "100" || h.file("target") != "rust" || strings.TrimSpace(h.file("freeze")) != "frozen" {
		t.Errorf("after S4: cohort %q target %q freeze %q", h.file("cohort"), h.file("target"), h.file("freeze"))
	}
}

func TestExecuteS4AbortsTheSoakWhenAnIncidentFires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.world.env.Soak = config.Duration(10 * time.Minute) // never reached: the incident cuts it short
	h.world.incidents = func() []runbook.IncidentStatus {
		state := runbook.IncidentOK
		if h.file("cohort") == "25" {
			state = runbook.IncidentFiring
		}
		return []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: state, Evidence: "5xx 4% > 2%"}}
	}
	p, err := h.x.Plan(t.Context(), "S4")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", TypedEnv: "production"}, nil)
	if err != nil || out.OK {
		t.Fatalf("S4 with a firing incident: %+v %v", out, err)
	}
	if !strings.Contains(out.Message, "rollback recommended") || !strings.Contains(out.Message, "I2 write_error_spike") {
		t.Errorf("message %q", out.Message)
	}
	if time.Since(start) > 2*time.Minute {
		t.Error("the soak was not cut short by the incident")
	}
	if h.file("cohort") != "25" {
		t.Errorf("S4 went on to cohort %q", h.file("cohort"))
	}
}

func TestExecuteKillsAHungActuatorAndJournalsTheFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	h.world.env.Actuators.SetRustWriteMode = &config.Action{Timeout: config.Duration(200 * time.Millisecond),
		Argv: []string{script(t, t.TempDir(), "hang", "sleep 60"), "{{.Mode}}"}}
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || out.OK || len(out.Failed) != 1 || out.Failed[0] != "set_rust_write_mode=rust_active" {
		t.Fatalf("outcome %+v %v", out, err)
	}
	recs := h.records(t)
	if got := kinds(recs); got != "approval,intent,outcome,outcome" {
		t.Fatalf("journal %s", got)
	}
	if o := recs[2]; o.OK == nil || *o.OK || !strings.Contains(o.Message, "timed out") {
		t.Errorf("sub-step outcome %+v", o)
	}
	if h.file("target") != "" {
		t.Error("S1 went on after a failed sub-step")
	}
}

func TestRollbackRunsPastAFailingStepAndCollectsArtifacts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false, "set_legacy_freeze")
	h.world.gates = nil
	p, err := h.x.Plan(t.Context(), "rollback")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.OK || strings.Join(out.Failed, ",") != "R2" || !strings.Contains(out.Message, "R2 FAILED") {
		t.Errorf("outcome %+v", out)
	}
	if h.file("mode") != "shadow_only" || h.file("target") != "legacy" {
		t.Errorf("R1/R3 did not run: mode %q target %q", h.file("mode"), h.file("target"))
	}
	if !strings.HasPrefix(out.ArtifactDir, filepath.Join(h.cfg.StateDir, "staging", "artifacts", "rollback-")) {
		t.Fatalf("artifact dir %q", out.ArtifactDir)
	}
	for _, f := range []string{"parity/001-parity-report.json", "journal.jsonl", "timeline.md", "signals.json"} {
		if _, err := os.Stat(filepath.Join(out.ArtifactDir, f)); err != nil {
			t.Errorf("artifact %s: %v", f, err)
		}
	}
	tl, _ := os.ReadFile(filepath.Join(out.ArtifactDir, "timeline.md"))
	if !strings.Contains(string(tl), "FAILED R2 set_legacy_freeze=false") {
		t.Errorf("timeline does not show the failed R2:\n%s", tl)
	}
	sig, _ := os.ReadFile(filepath.Join(out.ArtifactDir, "signals.json"))
	if !strings.Contains(string(sig), `"write_error_rate"`) || !strings.Contains(string(sig), "0.004") {
		t.Errorf("signals.json: %s", sig)
	}
	names := tarNames(t, out.ArtifactDir+".tar.gz")
	if !names[filepath.Base(out.ArtifactDir)+"/timeline.md"] || !names[filepath.Base(out.ArtifactDir)+"/parity/001-parity-report.json"] {
		t.Errorf("archive holds %v", names)
	}
}

func tarNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	readTar(t, path, func(h *tar.Header, _ io.Reader) { names[h.Name] = true })
	return names
}

// readTar calls visit for each entry of the .tar.gz at path.
func readTar(t *testing.T, path string, visit func(h *tar.Header, body io.Reader)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		visit(h, tr)
	}
}

func TestExecuteWhileLockedNamesTheHolderAndChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	lease, err := h.lock.Acquire(t.Context(), lock.Holder{Operator: "bob", Host: "laptop", PID: 42, Step: "S2", Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	var busy *lock.BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "bob@laptop pid 42") {
		t.Fatalf("want BusyError naming bob, got %v", err)
	}
	if h.file("mode") != "" {
		t.Error("the world changed while another operator held the lock")
	}
}

func TestCheckOnlyRunReportsTheItemVerdictWithoutTheLock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	lease, err := h.lock.Acquire(t.Context(), lock.Holder{Operator: "bob", PID: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	p, err := h.x.Plan(t.Context(), "P1")
	if err != nil || p.Writes || len(p.Calls) != 0 {
		t.Fatalf("P1 plan %+v %v", p, err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{}, nil)
	if err != nil || out.OK || out.Verdict != checks.Fail || !strings.Contains(out.Message, "block") {
		t.Errorf("P1 outcome %+v %v", out, err)
	}
}

// A 5% cohort is within tolerance of 0%: the share the world showed before
// the call proves nothing, so verification keeps polling.
func TestCohortVerificationNeedsTheShareToMove(t *testing.T) {
	x := &Executor{opts: Options{CohortTolerance: 5}}
	since := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		pct  int
		got  float64
		want checks.Verdict
	}{{5, 0, checks.Pending}, {5, 3.5, checks.Pass}, {0, 0, checks.Pass}, {50, 100, checks.Pending}, {100, 100, checks.Pass}, {25, 5, checks.Pending}} {
		st := runbook.State{At: since.Add(time.Second), Observed: runbook.Observed{CohortPercent: c.got}}
		if v, line := x.cohortShare(c.pct)(st, since); v != c.want {
			t.Errorf("cohort %d%% observed %.1f%%: %v, want %v (%s)", c.pct, c.got, v, c.want, line)
		}
	}
}
