package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/openagents/cockpit/sandbox/harness"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// parityLoop is the shadow harness of one environment. It records staged
// scenarios (happy path, cancellation, failure, replay/resume) on a private
// Rust instance, captures the run's four artifacts, mirrors them as the
// legacy capture (perturbed under the critical-parity fault), compares them
// with the real harness's rules and writes a report, on a timer and on demand.
// Like the real harness it exports no metric: the reports are the output.
type parityLoop struct {
	env       *env
	reportDir string
	log       *slog.Logger
	client    *http.Client

	shadow    *rustsim.Runtime
	shadowURL string

	mu       sync.Mutex // one run at a time
	scenario int
	kickCh   chan struct{}
}

// ParityRun is what one harness run produced.
type ParityRun struct {
	Path     string `json:"path"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Critical int    `json:"critical"`
	Warning  int    `json:"warning"`
}

func newParityLoop(e *env, reportDir string, log *slog.Logger) *parityLoop {
	return &parityLoop{env: e, reportDir: reportDir, log: log.With("env", e.name, "component", "harness"),
		client: &http.Client{Timeout: 5 * time.Second}, kickCh: make(chan struct{}, 1)}
}

// start brings up the private shadow instance, writes a first report so the
// preconditions have something to read, then runs on the world's timer.
func (p *parityLoop) start(ctx context.Context) error {
	if err := os.MkdirAll(p.reportDir, 0o755); err != nil {
		return err
	}
	shadow, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"},
		Version: p.env.world.opts.RustVersion})
	if err != nil {
		return err
	}
	p.shadow = shadow
	if p.shadowURL, err = p.env.world.serve(shadow.Handler()); err != nil {
		return err
	}
	if _, err := p.runOnce(ctx, ""); err != nil {
		return fmt.Errorf("first parity report: %w", err)
	}
	p.env.world.goRun(func() { p.loop(ctx) })
	return nil
}

func (p *parityLoop) loop(ctx context.Context) {
	t := time.NewTicker(p.env.world.opts.HarnessEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kickCh:
		}
		if _, err := p.runOnce(ctx, ""); err != nil && ctx.Err() == nil {
			p.log.Warn("parity run failed", "err", err)
		}
	}
}

// kick asks for a report now (a fault changed what the next one will say).
func (p *parityLoop) kick() {
	select {
	case p.kickCh <- struct{}{}:
	default:
	}
}

// scenarios are the staged scenarios of docs/runtime-facts.md §4, run in turn.
var scenarios = []struct {
	name   string
	events []map[string]any
}{
	{"happy-path", []map[string]any{
		{"event_type": "run.step", "payload": map[string]any{"step": 1}},
		{"event_type": "run.finished", "payload": map[string]any{"status": "succeeded"}}}},
	{"cancellation", []map[string]any{
		{"event_type": "run.step", "payload": map[string]any{"step": 1}},
		{"event_type": "run.finished", "payload": map[string]any{"status": "canceled"}}}},
	{"failure", []map[string]any{
		{"event_type": "run.step", "payload": map[string]any{"step": 1}},
		{"event_type": "run.finished", "payload": map[string]any{"status": "failed"}}}},
	{"replay-resume", []map[string]any{
		{"event_type": "run.step", "payload": map[string]any{"step": 1}, "idempotency_key": "resume-1"},
		{"event_type": "run.step", "payload": map[string]any{"step": 1}, "idempotency_key": "resume-1"},
		{"event_type": "run.finished", "payload": map[string]any{"status": "succeeded"}}}},
}

// runOnce records the next scenario, compares both sides and writes a report.
// checkOutput refuses a report path outside the reports directory.
func (p *parityLoop) checkOutput(output string) error {
	if output != "" && filepath.Dir(filepath.Clean(output)) != filepath.Clean(p.reportDir) {
		return fmt.Errorf("report path %q is not in the reports directory %s", output, p.reportDir)
	}
	return nil
}

// runOnce records the next scenario, compares it and writes the report: to
// output when one is given (the cockpit's {{.Report}}), else under a name of
// its own in the reports directory.
func (p *parityLoop) runOnce(ctx context.Context, output string) (ParityRun, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rustManifest, legacyManifest, err := p.capture(ctx, func(runID string) string {
		return filepath.Join(p.env.world.dir, "captures", p.env.name, runID)
	})
	if err != nil {
		return ParityRun{}, err
	}
	report, err := harness.Compare(legacyManifest, rustManifest, harness.CutoverPolicy(), time.Now())
	if err != nil {
		return ParityRun{}, err
	}
	path := output
	if path == "" {
		path, err = harness.WriteReport(p.reportDir, report)
	} else {
		err = harness.WriteReportFile(path, report)
	}
	if err != nil {
		return ParityRun{}, err
	}
	p.prune()
	return ParityRun{Path: path, Decision: report.Gate.Decision, Reason: report.Gate.Reason,
		Critical: report.Totals.Critical, Warning: report.Totals.Warning}, nil
}

// ParityCapture is where a capture wrote both sides' manifests.
type ParityCapture struct {
	Rust   string `json:"rust_manifest"`
	Legacy string `json:"legacy_manifest"`
}

// captureOnce is the capture step alone, as a deployment's own capture
// script is to the real harness: the next scenario's two sides written
// under dir (rust/manifest.json, legacy/manifest.json), for a harness run
// on them next. dir must be inside the reports directory, where the
// cockpit's {{.CaptureDir}} is.
func (p *parityLoop) captureOnce(ctx context.Context, dir string) (ParityCapture, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rust, legacy, err := p.capture(ctx, func(string) string { return dir })
	return ParityCapture{Rust: rust, Legacy: legacy}, err
}

// capture records the next scenario on the shadow instance and writes its
// Rust capture and the mirrored legacy one (perturbed under the
// critical-parity fault) under dirFor(run id). The caller holds p.mu.
func (p *parityLoop) capture(ctx context.Context, dirFor func(runID string) string) (rustManifest, legacyManifest string, err error) {
	sc := scenarios[p.scenario%len(scenarios)]
	p.scenario++
	runID, err := p.record(ctx, sc.name, sc.events)
	if err != nil {
		return "", "", fmt.Errorf("recording scenario %s: %w", sc.name, err)
	}
	dir := dirFor(runID)
	if rustManifest, err = harness.Capture(ctx, p.client, p.shadowURL, runID, filepath.Join(dir, "rust")); err != nil {
		return "", "", err
	}
	perturb := harness.NoPerturbation
	if p.env.faultOn(FaultCriticalParity) {
		perturb = harness.CriticalDiff
	}
	legacyManifest, err = harness.Mirror(rustManifest, filepath.Join(dir, "legacy"), perturb)
	return rustManifest, legacyManifest, err
}

// record runs one scenario against the shadow instance and returns the run id.
func (p *parityLoop) record(ctx context.Context, scenario string, events []map[string]any) (string, error) {
	var created struct {
		Run struct {
			ID string `json:"id"`
		} `json:"run"`
	}
	body := map[string]any{"worker_id": "shadow-harness", "metadata": map[string]any{"source": "shadow-harness", "scenario": scenario}}
	if err := p.post(ctx, "/internal/v1/runs", body, http.StatusCreated, &created); err != nil {
		return "", err
	}
	for _, ev := range events {
		if err := p.post(ctx, "/internal/v1/runs/"+created.Run.ID+"/events", ev, http.StatusOK, nil); err != nil {
			return "", err
		}
	}
	return created.Run.ID, nil
}

func (p *parityLoop) post(ctx context.Context, path string, body any, want int, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.shadowURL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: status %d, want %d", path, resp.StatusCode, want)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// prune keeps the newest captures and reports so a long rehearsal stays small.
func (p *parityLoop) prune() {
	const keep = 20
	for _, pattern := range []string{
		filepath.Join(p.env.world.dir, "captures", p.env.name, "*"),
		filepath.Join(p.reportDir, "parity-*.json"),
	} {
		matches, _ := filepath.Glob(pattern)
		if len(matches) <= keep {
			continue
		}
		sort.Slice(matches, func(i, j int) bool { return modTime(matches[i]).Before(modTime(matches[j])) })
		for _, m := range matches[:len(matches)-keep] {
			_ = os.RemoveAll(m)
		}
	}
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
