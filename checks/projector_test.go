package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// simClock is the simulated runtime's clock, shared with the test.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// projectorWorld is one simulated Rust runtime behind an HTTP server whose
// checkpoint endpoint the test can make "lose" every checkpoint.
type projectorWorld struct {
	rust  *rustsim.Runtime
	clock *simClock
	env   *config.Environment
	state string // the watch's state file
	lose  atomic.Bool
}

func newProjectorWorld(t *testing.T, simEnv map[string]string) *projectorWorld {
	t.Helper()
	w := &projectorWorld{clock: &simClock{t: time.Date(2026, 2, 21, 10, 0, 0, 0, time.UTC)}}
	rust, err := rustsim.New(rustsim.Options{Env: simEnv, Now: w.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	w.rust = rust
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if w.lose.Load() && strings.HasPrefix(req.URL.Path, "/internal/v1/projectors/checkpoints/") {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusNotFound)
			rw.Write([]byte(`{"error":"not_found"}`))
			return
		}
		rust.Handler().ServeHTTP(rw, req)
	}))
	t.Cleanup(srv.Close)
	w.env = &config.Environment{
		Name:        "staging",
		RustRuntime: config.RustRuntime{URL: srv.URL},
		WriteProbe:  config.WriteProbe{Source: "cockpit-write-probe", WorkerID: "cockpit:write-probe"},
	}
	w.state = filepath.Join(t.TempDir(), "staging", "projector-watch.json")
	return w
}

func (w *projectorWorld) probes() *Probes {
	return NewProbes(w.env, &http.Client{}, nil, time.Now)
}

func (w *projectorWorld) watch() *ProjectorWatch {
	return NewProjectorWatch(w.probes(), w.state, 0)
}

// writeRun writes a run the way S2/V1 do (the write probe) and returns its id.
func (w *projectorWorld) writeRun(t *testing.T) string {
	t.Helper()
	rep, _ := writer(w.probes()).WriteProbe(context.Background())
	if rep.RunID == "" {
		t.Fatalf("write probe wrote no run: %+v", rep)
	}
	return rep.RunID
}

// seenRun writes a run, watches it and observes it once a minute into
// the runtime's uptime: the watch has seen its checkpoint.
func (w *projectorWorld) seenRun(t *testing.T) (string, *ProjectorWatch) {
	t.Helper()
	id := w.writeRun(t)
	pw := w.watch()
	if err := pw.Watch(id); err != nil {
		t.Fatal(err)
	}
	w.clock.advance(time.Minute)
	cp, _ := observe(t, pw)
	wantVerdict(t, cp, Pass, "1 at or above")
	return id, pw
}

// observe runs one Observe and checks both results carry their sources.
func observe(t *testing.T, pw *ProjectorWatch) (Result, Result) {
	t.Helper()
	cp, dr := pw.Observe(context.Background())
	if !strings.Contains(cp.Evidence.Source, "/internal/v1/projectors/checkpoints/:run_id") {
		t.Errorf("checkpoint source %q does not name the endpoint", cp.Evidence.Source)
	}
	if !strings.Contains(dr.Evidence.Source, "/internal/v1/projectors/drift?topic=") {
		t.Errorf("drift source %q does not name the endpoint", dr.Evidence.Source)
	}
	if cp.ObservedAt.IsZero() || dr.ObservedAt.IsZero() {
		t.Error("results without ObservedAt")
	}
	return cp, dr
}

func wantVerdict(t *testing.T, r Result, v Verdict, contains ...string) {
	t.Helper()
	line := r.Evidence.String()
	if r.Verdict != v {
		t.Fatalf("%s: %s, want %s (%s)", r.ID, r.Verdict, v, line)
	}
	for _, s := range contains {
		if !strings.Contains(line, s) {
			t.Fatalf("%s evidence %q does not contain %q", r.ID, line, s)
		}
	}
}

func TestProjectorWatchWithNoRunSaysSo(t *testing.T) {
	w := newProjectorWorld(t, nil)
	pw := w.watch()
	cp, dr := observe(t, pw)
	for _, r := range []Result{cp, dr} {
		wantVerdict(t, r, NotJudged, ProjectorNoRuns, "S2/V1 write one")
		if r.Evidence.Value != ProjectorNoRuns {
			t.Errorf("value %q, want exactly %q", r.Evidence.Value, ProjectorNoRuns)
		}
	}
	if pw.Len() != 0 {
		t.Fatalf("Len = %d", pw.Len())
	}
}

func TestProjectorWatchPassesThenFailsOnCheckpointRegression(t *testing.T) {
	w := newProjectorWorld(t, nil)
	id := w.writeRun(t)
	pw := w.watch()
	if err := pw.Watch(strings.ToUpper(id)); err != nil { // ids are matched as the runtime writes them
		t.Fatal(err)
	}
	cp, dr := observe(t, pw)
	wantVerdict(t, cp, Pass, "1 runs watched: 1 at or above their highest seq")
	wantVerdict(t, dr, Pass, "1 runs watched: 1 without drift")

	w.rust.SetFaults(rustsim.Faults{CheckpointRegression: true})
	cp, dr = observe(t, pw)
	wantVerdict(t, cp, Fail, "run "+id+": last_seq 1 < 2 seen at", "/internal/v1/projectors/checkpoints/:run_id")
	wantVerdict(t, dr, Pass)
	// The maximum is not lowered by what a regressed checkpoint says.
	cp, _ = observe(t, pw)
	wantVerdict(t, cp, Fail, "last_seq 0 < 2")

	w.rust.SetFaults(rustsim.Faults{})
	cp, _ = observe(t, pw)
	wantVerdict(t, cp, Pass)
}

func TestProjectorWatchSeesDriftOnARunWrittenUnderTheFault(t *testing.T) {
	w := newProjectorWorld(t, nil)
	pw := w.watch()
	healthy := w.writeRun(t)
	w.rust.SetFaults(rustsim.Faults{Drift: true})
	drifted := w.writeRun(t)
	for _, id := range []string{healthy, drifted} {
		if err := pw.Watch(id); err != nil {
			t.Fatal(err)
		}
	}
	cp, dr := observe(t, pw)
	wantVerdict(t, dr, Fail, "2 runs watched: 1 without drift", "run:"+drifted+":events: sequence_gap expected_next_seq 2")
	if strings.Contains(dr.Evidence.String(), healthy) {
		t.Errorf("the healthy run is named: %s", dr.Evidence.String())
	}
	wantVerdict(t, cp, Pass)
}

func TestProjectorWatchLostOnRestartIsAWarningNotAFailure(t *testing.T) {
	w := newProjectorWorld(t, map[string]string{rustsim.EnvProjectionState: "ephemeral"})
	id, pw := w.seenRun(t)

	// A mode change is a restart: the run and, with an ephemeral state
	// file, its checkpoint are gone.
	env := w.rust.Env()
	env["RUNTIME_AUTHORITY_WRITE_MODE"] = "shadow_only"
	if err := w.rust.Restart(env); err != nil {
		t.Fatal(err)
	}
	for range 2 { // and it stays a warning on later observations
		cp, dr := observe(t, pw)
		wantVerdict(t, cp, Warn, "run "+id+": 404 after last_seq 2, lost on restart (uptime 60s → 0s)", lostOnRestart)
		wantVerdict(t, dr, Pass)
	}
	// A second process (the next `cockpit check incidents`) agrees.
	cp, _ := observe(t, w.watch())
	wantVerdict(t, cp, Warn, lostOnRestart)
}

func TestProjectorWatchKeepsJudgingAcrossARestartThatKeepsTheStateFile(t *testing.T) {
	w := newProjectorWorld(t, nil)
	_, pw := w.seenRun(t)
	if err := w.rust.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "read_only"}); err != nil {
		t.Fatal(err)
	}
	cp, _ := observe(t, pw)
	wantVerdict(t, cp, Pass, "1 at or above")
}

// TestProjectorWatchCheckpointLostWithoutRestartIsAnotherInstance: the
// runtime never drops a live process's checkpoint, so a 404 on a process
// already up when it was seen is another instance answering (issue 15: it
// was a FAIL, and fired checkpoint_regression on every multi-instance
// runtime). It is a WARN naming the cause, not a regression.
func TestProjectorWatchCheckpointLostWithoutRestartIsAnotherInstance(t *testing.T) {
	w := newProjectorWorld(t, nil)
	id, pw := w.seenRun(t)
	w.clock.advance(time.Minute)
	w.lose.Store(true)
	cp, _ := observe(t, pw)
	wantVerdict(t, cp, Warn, "run "+id+": 404 after last_seq 2 from a process already up when it was seen (same process: build dev, up 120s): "+otherInstance)
	if cp.Evidence.Reason == lostOnRestart {
		t.Error("a loss without restart must not say lost on restart")
	}
}

func TestProjectorWatchIgnoresARunNeverSeen(t *testing.T) {
	w := newProjectorWorld(t, nil)
	pw := w.watch()
	other := "0190f3a0-0000-7000-8000-000000000001" // a parity run recorded on another instance
	if err := pw.Watch(other); err != nil {
		t.Fatal(err)
	}
	cp, dr := observe(t, pw)
	wantVerdict(t, cp, NotJudged, "1 never seen here (not judged)")
	wantVerdict(t, dr, Pass)
	id := w.writeRun(t)
	pw.Watch(id)
	w.rust.SetFaults(rustsim.Faults{CheckpointRegression: true})
	observe(t, pw) // the first sight is the maximum
	cp, _ = observe(t, pw)
	wantVerdict(t, cp, Fail, "2 runs watched: 0 at or above their highest seq, 1 never seen here", "run "+id)
	if strings.Contains(cp.Evidence.String(), other) {
		t.Errorf("the never-seen run is named: %s", cp.Evidence.String())
	}
}

func TestProjectorWatchMemoryIsSharedThroughTheStateFile(t *testing.T) {
	w := newProjectorWorld(t, nil)
	id, first := w.seenRun(t)

	w.rust.SetFaults(rustsim.Faults{CheckpointRegression: true})
	second := w.watch() // another process: it knows the run and its max from the file alone
	if got := second.Watched(); len(got) != 1 || got[0] != id {
		t.Fatalf("second watch sees %v", got)
	}
	cp, _ := observe(t, second)
	wantVerdict(t, cp, Fail, "run "+id+": last_seq 1 < 2")

	// A run watched by one process is observed by the other.
	other := w.writeRun(t)
	second.Watch(other)
	cp, _ = observe(t, first)
	wantVerdict(t, cp, Fail, "2 runs watched")
	info, err := os.Stat(w.state)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v, want mode 0600", info, err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(w.state), ".*.tmp")); len(tmps) != 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

func TestProjectorWatchStartsEmptyOnACorruptStateFile(t *testing.T) {
	w := newProjectorWorld(t, nil)
	os.MkdirAll(filepath.Dir(w.state), 0o700)
	if err := os.WriteFile(w.state, []byte(`{"version":1,"runs":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := w.watch()
	cp, dr := observe(t, pw)
	for _, r := range []Result{cp, dr} {
		wantVerdict(t, r, NotJudged, ProjectorNoRuns, "was corrupt (not JSON of the expected shape): started empty, the bad file kept as "+w.state+".corrupt")
	}
	cp, _ = observe(t, pw)
	if strings.Contains(cp.Evidence.String(), "corrupt") {
		t.Errorf("the note is said twice: %s", cp.Evidence.String())
	}
	// The watch works on from a fresh file.
	id := w.writeRun(t)
	if err := pw.Watch(id); err != nil {
		t.Fatal(err)
	}
	cp, _ = observe(t, w.watch())
	wantVerdict(t, cp, Pass, "1 runs watched: 1 at or above")
}

func TestProjectorWatchDropsMalformedEntriesAndKeepsTheNewest(t *testing.T) {
	w := newProjectorWorld(t, nil)
	os.MkdirAll(filepath.Dir(w.state), 0o700)
	os.WriteFile(w.state, []byte(`{"version":1,"runs":[{"run_id":"../../etc"},{"run_id":"0190f3a0-0000-7000-8000-000000000009","watched_at":"2026-01-01T00:00:00Z"}]}`), 0o600)
	pw := NewProjectorWatch(w.probes(), w.state, 2)
	if err := pw.Watch("not-a-uuid"); err == nil {
		t.Fatal("a run id that is not a UUID was watched")
	}
	a, b := w.writeRun(t), w.writeRun(t)
	pw.Watch(a)
	pw.Watch(b)
	if got := pw.Watched(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("watched %v, want the newest two [%s %s]", got, a, b)
	}
	cp, _ := observe(t, pw)
	wantVerdict(t, cp, Pass, "2 runs watched", "1 entries without a valid run id ignored")
}

func TestProjectorWatchUnreachableRuntimeIsUnknown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	env := &config.Environment{Name: "staging", RustRuntime: config.RustRuntime{URL: srv.URL}}
	p := NewProbes(env, &http.Client{}, nil, time.Now)
	p.Timeout = 2 * time.Second
	state := filepath.Join(t.TempDir(), "projector-watch.json")

	cp, dr := NewProjectorWatch(p, state, 0).Observe(context.Background())
	wantVerdict(t, cp, Unknown, "no answer")
	wantVerdict(t, dr, Unknown, "no answer")

	pw := NewProjectorWatch(p, state, 0)
	pw.Watch("0190f3a0-0000-7000-8000-000000000001")
	cp, dr = pw.Observe(context.Background())
	wantVerdict(t, cp, Unknown, "no answer")
	wantVerdict(t, dr, Unknown, "no answer")
}

func TestProjectorWatchLostCheckpointWithUnreadableHealthIsUnknown(t *testing.T) {
	w := newProjectorWorld(t, nil)
	_, pw := w.seenRun(t)
	w.lose.Store(true)
	w.env.RustRuntime.HealthPath = "/nowhere"
	cp, _ := observe(t, pw)
	wantVerdict(t, cp, Unknown, "whether the runtime restarted is unknown: health answered 404")
}
