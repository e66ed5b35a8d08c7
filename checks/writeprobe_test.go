package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/sandbox/rustsim"
)

func TestWriteProbeWritesOneLabelledRunAndSeesTheArtifactsMove(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if !rep.OK || rep.RunID == "" || rep.EventCount != 2 {
		t.Fatalf("report %+v, want OK with a run of 2 events", rep)
	}
	if len(results) != len(writeProbeSteps) {
		t.Fatalf("%d results, want %d", len(results), len(writeProbeSteps))
	}
	for _, r := range results {
		if r.Verdict != Pass {
			t.Errorf("%s: %s", r.ID, r.Line(time.Now()))
		}
	}
	if got := results[3].Evidence.String(); !strings.Contains(got, "receipt event_count 2 last_seq 2 → = 2") {
		t.Errorf("receipt evidence %q", got)
	}

	// The run is really there, labelled, with the probe's event.
	resp, err := http.Get(w.env.RustRuntime.URL + "/internal/v1/runs/" + rep.RunID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Run struct {
			WorkerID string            `json:"worker_id"`
			Metadata map[string]string `json:"metadata"`
			Events   []struct {
				EventType      string `json:"event_type"`
				IdempotencyKey string `json:"idempotency_key"`
			} `json:"events"`
		} `json:"run"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	run := body.Run
	if run.WorkerID != "cockpit:write-probe" || run.Metadata["source"] != "cockpit-write-probe" ||
		len(run.Events) != 2 || run.Events[1].EventType != "cockpit.write_probe" || run.Events[1].IdempotencyKey != rep.IdempotencyKey {
		t.Fatalf("run as stored: %+v", run)
	}
}

func TestWriteProbeOnAFrozenRuntimeFailsAndStops(t *testing.T) {
	w := newWorld(t, "shadow_only", true)
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if rep.OK || rep.RunID != "" {
		t.Fatalf("report %+v on a frozen runtime", rep)
	}
	if results[0].Verdict != Fail || !strings.Contains(results[0].Evidence.Reason, "writes refused: runtime authority writes are disabled in mode shadow_only") {
		t.Fatalf("create: %s", results[0].Line(time.Now()))
	}
	for _, r := range results[1:] {
		if r.Verdict != Unknown || r.Evidence.Reason != "not reached" {
			t.Errorf("%s after a refused create: %s %q, want UNKNOWN not reached", r.ID, r.Verdict, r.Evidence.Reason)
		}
	}
}

func TestWriteProbeSeesDrift(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.rust.SetFaults(rustsim.Faults{Drift: true})
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	last := results[len(results)-1]
	if rep.OK || last.Verdict != Fail || !strings.HasPrefix(last.Evidence.Value, "drift reported") {
		t.Fatalf("drift: ok=%t %s", rep.OK, last.Line(time.Now()))
	}
}

func TestWriteProbeCatchesAnIgnoredIdempotencyKey(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	// A runtime that ignores idempotency keys, made by stripping the key
	// before the real (simulated) handler sees it.
	strip := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events") {
			var m map[string]any
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &m)
			delete(m, "idempotency_key")
			b, _ = json.Marshal(m)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		w.rust.Handler().ServeHTTP(rw, r)
	}))
	t.Cleanup(strip.Close)
	w.env.RustRuntime.URL = strip.URL
	rep, results := writer(w.probes(testSecret)).WriteProbe(context.Background())
	if rep.OK || results[2].Verdict != Fail || !strings.Contains(results[2].Evidence.Reason, "appended again") {
		t.Fatalf("ignored idempotency key: ok=%t %s", rep.OK, results[2].Line(time.Now()))
	}
}

// writer is the write probe over the test's probes: their client, secret
// and clock.
func writer(p *Probes) *WriteProber { return &WriteProber{p: p} }
