package executor

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// Values a hostile or careless environment puts behind ${TOKEN} and ${KEY}.
const (
	artifactToken = "tok-Secret-7f3a9c"
	artifactKey   = "k3y-Secret-51e2d0"
)

const secretConfig = `
environments:
  staging:
    prometheus:
      url: "http://127.0.0.1:9090/?key=${KEY}"
      headers: {Authorization: "Bearer ${TOKEN}"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    actuators:
      set_rust_write_mode: {argv: [gcloud, run, services, update, runtime, --project, oa-staging, --update-env-vars, "RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}"]}
`

// echoWorld is a world whose answers echo the config's secrets back, as a
// Prometheus error quoting its URL or a runtime echoing a header would.
type echoWorld struct{ env *config.Environment }

func (w echoWorld) Env() *config.Environment                    { return w.env }
func (w echoWorld) Gates(runbook.State, string) []checks.Result { return nil }
func (w echoWorld) NoteProbeRun(checks.WriteProbeReport)        {}
func (w echoWorld) Observe(context.Context) runbook.State {
	leak := w.env.Prometheus.URL + " " + w.env.Prometheus.Headers["Authorization"]
	return runbook.State{Env: w.env.Name, At: time.Now(), Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
		"write_error_rate": {Signal: "write_error_rate", Query: `sum(rate(x{key="` + artifactKey + `"}[1m]))`, At: time.Now(),
			Err: errors.New("querying prometheus at " + leak + ": 401 Unauthorized"), Warnings: []string{"echo: " + leak}},
	}}}
}

// artifactExecutor is an executor for R4 alone, on a config parsed with
// TOKEN and KEY set and its journal wired as the cmd wires it.
func artifactExecutor(t *testing.T) (*Executor, *config.Environment, string) {
	t.Helper()
	env := map[string]string{"TOKEN": artifactToken, "KEY": artifactKey}
	cfg, err := config.Parse("c.yaml", []byte(secretConfig), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.StateDir = filepath.Join(dir, "state")
	e := cfg.Environments["staging"]
	e.Parity.Reports = filepath.Join(dir, "reports", "*.json")
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reports", "parity-report.json"), []byte(`{"gate":{"decision":"allow"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(journal.Path(cfg.StateDir, e.Name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	j.AddSecrets(cfg.Secrets...)
	x := &Executor{world: echoWorld{env: e}, journal: j,
		opts: Options{Config: cfg, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}}
	return x, e, filepath.Join(dir, "reports")
}

// everyByte is each file's content under dir and inside the archive.
func everyByte(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	readTar(t, dir+".tar.gz", func(h *tar.Header, tr io.Reader) {
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir {
			t.Errorf("archive entry %s has type %c: only files and directories belong there", h.Name, h.Typeflag)
		}
		if want := int64(0o600); h.Typeflag == tar.TypeDir && h.Mode != 0o700 || h.Typeflag == tar.TypeReg && h.Mode != want {
			t.Errorf("archive entry %s has mode %o", h.Name, h.Mode)
		}
		b, _ := io.ReadAll(tr)
		out["archive:"+h.Name] = string(b)
	})
	return out
}

func TestArtifactsAreTheOperatorsAloneAndHoldNoSecret(t *testing.T) {
	t.Parallel()
	x, env, reports := artifactExecutor(t)
	if !slices.Contains(x.opts.Config.Secrets, artifactToken) || !slices.Contains(x.opts.Config.Secrets, artifactKey) {
		t.Fatalf("config secrets = %q, want the two expanded values among them", x.opts.Config.Secrets)
	}
	// A probe's evidence quoting the header, as a journal line would carry it.
	x.record(journal.Record{Kind: journal.KindProgress, Step: "S1",
		Evidence: "GET /healthz with Authorization: " + env.Prometheus.Headers["Authorization"], Message: env.Prometheus.URL})
	// A symlink among the reports pointing at a file that is not a report.
	if err := os.Symlink("/etc/passwd", filepath.Join(reports, "latest.json")); err != nil {
		t.Fatal(err)
	}
	// A named pipe nothing writes: copying it would block R4 forever.
	fifo := filepath.Join(reports, "parity-fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	var shown []string
	dir, err := x.collectArtifacts(t.Context(), "alice", func(msg string) { shown = append(shown, msg) })
	if err != nil {
		t.Fatalf("R4: %v", err)
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	files := everyByte(t, dir)
	files[x.journal.Path()] = string(must(os.ReadFile(x.journal.Path())))
	for name, content := range files {
		for _, s := range []string{artifactToken, artifactKey} {
			if strings.Contains(content, s) {
				t.Errorf("%s holds the secret %q", name, s)
			}
		}
		if len(passwd) > 0 && strings.Contains(content, string(passwd)) {
			t.Errorf("%s holds /etc/passwd: a symlink was followed", name)
		}
	}
	if sig := files[filepath.Join(dir, "signals.json")]; !strings.Contains(sig, journal.Redacted) || !strings.Contains(sig, "401 Unauthorized") {
		t.Errorf("signals.json does not keep the error with the secret redacted:\n%s", sig)
	}
	parity, _ := filepath.Glob(filepath.Join(dir, "parity", "*"))
	if len(parity) != 1 || !strings.HasSuffix(parity[0], "-parity-report.json") {
		t.Errorf("parity artifacts = %v, want the one regular report", parity)
	}
	for _, want := range []string{"latest.json skipped: a symlink", fifo + " skipped: a named pipe"} {
		if j := files[x.journal.Path()]; !strings.Contains(j, want) {
			t.Errorf("the journal does not say %q:\n%s", want, j)
		}
		if !strings.Contains(strings.Join(shown, "\n"), want) {
			t.Errorf("the rollback's progress does not say %q: %q", want, shown)
		}
	}

	// Permissions: directories 0700, every file and the archive 0600.
	for _, p := range []string{filepath.Dir(dir), dir, filepath.Join(dir, "parity")} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, mode %v; want 0700", p, err, fi.Mode().Perm())
		}
	}
	for p := range files {
		if strings.HasPrefix(p, "archive:") {
			continue
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", p, err, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir + ".tar.gz"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("archive: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

func TestCopyFileCopiesRegularFilesOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("not a report"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(t.Context(), link, filepath.Join(dir, "copy-of-link")); err == nil || !strings.Contains(err.Error(), "a symlink") {
		t.Errorf("copying a symlink: %v, want it refused", err)
	}
	if err := copyFile(t.Context(), dir, filepath.Join(dir, "copy-of-dir")); err == nil || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("copying a directory: %v, want it refused", err)
	}
	for _, name := range []string{"copy-of-link", "copy-of-dir"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after a refused copy: %v", name, err)
		}
	}
	// A destination planted as a symlink is not written through.
	planted := filepath.Join(dir, "planted")
	if err := os.Symlink(target, planted); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "report.json")
	if err := os.WriteFile(src, []byte("report"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(t.Context(), src, planted); err == nil {
		t.Error("copying onto a planted symlink succeeded")
	}
	if b, _ := os.ReadFile(target); string(b) != "not a report" {
		t.Errorf("the symlink's target was overwritten: %q", b)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A full state disk does not fail R4: the artifacts go to the fallback
// directory ($XDG_RUNTIME_DIR here), said on screen and in the journal.
func TestArtifactsOnAFullStateDiskGoToTheFallbackDirectory(t *testing.T) {
	x, _, _ := artifactExecutor(t)
	disk := testsvc.SmallDisk(t, 64<<10)
	x.opts.Config.StateDir = disk
	fb := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", fb)
	free := testsvc.FillDisk(t, disk)
	defer free()

	var shown []string
	dir, err := x.collectArtifacts(t.Context(), "alice", func(msg string) { shown = append(shown, msg) })
	if err != nil {
		t.Fatalf("R4 on a full state disk: %v", err)
	}
	if !strings.HasPrefix(dir, filepath.Join(fb, "cockpit-staging-artifacts")+"/") {
		t.Fatalf("artifacts in %s, want under the fallback directory %s", dir, fb)
	}
	for _, f := range []string{"signals.json", "journal.jsonl", "timeline.md"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("fallback artifact %s missing or empty: %v", f, err)
		}
	}
	if partial, _ := filepath.Glob(filepath.Join(disk, "staging", "artifacts", "rollback-*")); len(partial) > 0 {
		t.Errorf("a partial collection is left on the state disk, where it reads as collected: %v", partial)
	}
	if got := strings.Join(shown, "\n"); !strings.Contains(got, "no space left on device") || !strings.Contains(got, dir) {
		t.Errorf("the rollback's progress does not say why and where: %q", shown)
	}
}

// TestArtifactValuesAgreeWithHasValue: signals.json writes a signal with no
// data as value null beside has_value false, never a 0 that looks
// measured, and a measured value (a true 0 among them) as a number beside
// has_value true. The incidents in it are the runbook's own JSON, which
// runbook's TestJSONValuesAgreeWithHasValue checks.
func TestArtifactValuesAgreeWithHasValue(t *testing.T) {
	st := runbook.State{At: t0, Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{
		"projection_lag":   {Signal: "projection_lag", At: t0},
		"rust_write_share": {Signal: "rust_write_share", At: t0, Value: 0, HasValue: true},
	}}}
	var doc struct {
		Signals map[string]map[string]any `json:"signals"`
	}
	if err := json.Unmarshal(must(json.Marshal(snapshotOf(st))), &doc); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"projection_lag": false, "rust_write_share": true} {
		sig, ok := doc.Signals[name]
		if !ok {
			t.Fatalf("signals.json has no %s: %v", name, doc.Signals)
		}
		value, isNumber := sig["value"].(float64)
		if sig["has_value"] != want || isNumber != want || (!want && sig["value"] != nil) {
			t.Errorf("%s: value %v (%T) beside has_value %v, want has_value %t", name, sig["value"], sig["value"], sig["has_value"], want)
		}
		if want && value != 0 {
			t.Errorf("%s: value %v, want the measured 0", name, value)
		}
	}
}
