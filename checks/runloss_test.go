package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/sandbox/rustsim"
)

// twoInstances serves two Rust runtimes, started 40 s apart, behind a
// balancer without affinity that alternates: run requests A, B, A, …, and
// /healthz A, B, A, … on a counter of its own, so every loss and both
// processes show deterministically.
func twoInstances(t *testing.T, version string) string {
	t.Helper()
	now := time.Now()
	var rts [2]*rustsim.Runtime
	for i := range rts {
		r, err := rustsim.New(rustsim.Options{Env: map[string]string{}, Version: version,
			Booted: now.Add(-time.Duration(80-40*i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		rts[i] = r
	}
	var runs, health atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := &runs
		if req.URL.Path == "/healthz" {
			n = &health
		}
		rts[(n.Add(1)-1)%2].Handler().ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWriteProbeNamesSeveralInstancesWithoutSharedState: the run written on
// one instance is 404 on the next request, found again on a later one, and
// /healthz shows two processes up since before the write: several
// instances, named, with what to do.
func TestWriteProbeNamesSeveralInstancesWithoutSharedState(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.env.RustRuntime.URL = twoInstances(t, "")
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if rep.OK || rep.Loss == nil || !rep.Loss.SeveralInstances() || !rep.Loss.SeenAgain || len(rep.Loss.Instances) != 2 {
		t.Fatalf("report %+v loss %+v, want a loss showing two instances", rep, rep.Loss)
	}
	r := results[1]
	for _, want := range []string{"run " + rep.RunID + " was written (201) and then unknown (404 not_found) to append probe event",
		"found again on a later read", "no restart observed: several Rust instances without shared state",
		"/healthz shows 2: up since ", "run one instance", "session affinity"} {
		if !strings.Contains(r.Evidence.Reason, want) {
			t.Errorf("append: %s\nwant %q", r.Line(time.Now()), want)
		}
	}
	if r.Verdict != Fail || results[2].Evidence.Reason != "not reached" {
		t.Errorf("append %s, next %q: want FAIL, then not reached", r.Verdict, results[2].Evidence.Reason)
	}
}

// TestWriteProbeLossAfterARestartIsNotSeveralInstances is the bad day
// beside it: one instance that restarts right after the write loses the
// run too, but /healthz shows a process started after the write, so the
// probe says to probe again, not that instances are several.
func TestWriteProbeLossAfterARestartIsNotSeveralInstances(t *testing.T) {
	rt, err := rustsim.New(rustsim.Options{Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rt.Handler().ServeHTTP(w, req)
		if req.Method == http.MethodPost && req.URL.Path == "/internal/v1/runs" {
			time.Sleep(10 * time.Millisecond) // the restart is after the write, on any clock
			if err := rt.Restart(map[string]string{}); err != nil {
				t.Error(err)
			}
		}
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t, "rust_active", true)
	w.env.RustRuntime.URL = srv.URL
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if rep.Loss == nil || rep.Loss.SeveralInstances() || rep.Loss.SeenAgain {
		t.Fatalf("loss %+v, want a restart, not several instances", rep.Loss)
	}
	if r := results[1]; r.Verdict != Fail || !strings.Contains(r.Evidence.Reason, "the runtime restarted since the write (a process up since ") ||
		!strings.Contains(r.Evidence.Reason, "probe again") || strings.Contains(r.Evidence.Reason, "several") {
		t.Errorf("append: %s", r.Line(time.Now()))
	}
}

// TestWriteProbeMissingArtifactIsNotALostRun: a checkpoint endpoint that
// 404s while the run answers every re-read is an artifact missing, not a
// run lost between instances.
func TestWriteProbeMissingArtifactIsNotALostRun(t *testing.T) {
	rt, err := rustsim.New(rustsim.Options{Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/internal/v1/projectors/checkpoints/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"not_found"}`))
			return
		}
		rt.Handler().ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	w := newWorld(t, "rust_active", true)
	w.env.RustRuntime.URL = srv.URL
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if rep.Loss == nil || rep.Loss.SeveralInstances() || !rep.Loss.SeenAgain || rep.Loss.Missed {
		t.Fatalf("loss %+v, want the run found on every re-read", rep.Loss)
	}
	if r := results[6]; r.Verdict != Fail || !strings.Contains(r.Evidence.Reason, "the artifact is missing, not the run") {
		t.Errorf("checkpoint: %s", r.Line(time.Now()))
	}
}

// TestWriteProbePassesOnTheNewestRuntime: the newest runtime tags replay
// lines "event":"RuntimeEvent"; the probe counts them as the older tag.
func TestWriteProbePassesOnTheNewestRuntime(t *testing.T) {
	for _, version := range []string{rustsim.VersionLatest, rustsim.VersionS} {
		rt, err := rustsim.New(rustsim.Options{Env: map[string]string{}, Version: version})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(rt.Handler())
		t.Cleanup(srv.Close)
		w := newWorld(t, "rust_active", true)
		w.env.RustRuntime.URL = srv.URL
		rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
		if !rep.OK || rep.ReadBack != 6 || rep.Loss != nil {
			t.Errorf("version %s: report %+v", version, rep)
		}
		if got := results[4].Evidence.Value; got != "replay RuntimeEvent lines 2" {
			t.Errorf("version %s: replay %q, want 2 lines counted", version, got)
		}
		h, r := w.probes(testSecret).RustHealth(context.Background())
		if r.Verdict != Pass || h.Mode != "rust_active" {
			t.Errorf("version %s: health %s %+v", version, r.Line(time.Now()), h)
		}
	}
}

func TestReplayEventLinesCountsLinesNotMarkers(t *testing.T) {
	replay := []byte(`{"type":"ReplayHeader"}
{"type":"RuntimeEvent","seq":1}
{"event":"RuntimeEvent","t":"x","seq":2}
{"type":"RuntimeEvent","payload":{"event":"RuntimeEvent"}}
{"type":"SessionEnd"}
`)
	if n := replayEventLines(replay); n != 3 {
		t.Errorf("%d lines, want 3 (a line with both markers once)", n)
	}
}

// TestRunHeldSaysProbeAgainAfterARestart: the passed probe's run held is
// PASS; after a redeploy (a restart) it is FAIL "probe again: the runtime
// restarted since the probe"; on another instance, up before the probe, it
// names that instead.
func TestRunHeldSaysProbeAgainAfterARestart(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	p := w.probes(testSecret)
	rep, _ := writer(p).WriteProbe(context.Background())
	probedAt := time.Now()
	if r := p.RunHeld(context.Background(), rep.RunID, probedAt); r.Verdict != Pass {
		t.Fatalf("held: %s", r.Line(time.Now()))
	}
	time.Sleep(10 * time.Millisecond) // the restart is after the probe, on any clock
	if err := w.rust.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"}); err != nil {
		t.Fatal(err)
	}
	r := p.RunHeld(context.Background(), rep.RunID, probedAt)
	if r.Verdict != Fail || !strings.HasPrefix(r.Evidence.Reason, "probe again: the runtime restarted since the probe (up since ") {
		t.Errorf("after a restart: %s", r.Line(time.Now()))
	}
	w.env.RustRuntime.URL = twoInstances(t, "")
	r = p.RunHeld(context.Background(), rep.RunID, probedAt)
	if r.Verdict != Fail || !strings.Contains(r.Evidence.Reason, "another instance answered") {
		t.Errorf("unknown to a process up before the probe: %s", r.Line(time.Now()))
	}
}
