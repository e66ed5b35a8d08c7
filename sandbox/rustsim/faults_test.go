package rustsim

import (
	"net/http"
	"strings"
	"testing"
)

const (
	writes5xx    = `runtime_http_requests_total{kind="write",runtime="rust",status_class="5xx"}`
	writes2xx    = `runtime_http_requests_total{kind="write",runtime="rust",status_class="2xx"}`
	reads4xx     = `runtime_http_requests_total{kind="read",runtime="rust",status_class="4xx"}`
	driftGaps    = `runtime_projection_drift_total{reason_class="sequence_gap",runtime="rust"}`
	projectionKO = `runtime_projection_write_total{result="error",runtime="rust"}`
	position     = `runtime_projector_checkpoint_position{runtime="rust"}`
)

func TestHealthyMetricsExistAndCountAPIRequestsOnly(t *testing.T) {
	r, _ := newRuntime(t, nil)
	if v := metricValue(t, r, driftGaps); v != 0 {
		t.Fatalf("drift series = %v, want a pre-initialised 0", v)
	}
	call(t, r, http.MethodGet, "/healthz", "")
	call(t, r, http.MethodGet, "/readyz", "")
	createRun(t, r, `{}`)
	call(t, r, http.MethodGet, "/internal/v1/projectors/drift?topic=run:x:events", "")
	if v := metricValue(t, r, writes2xx); v != 1 {
		t.Errorf("write 2xx = %v, want 1", v)
	}
	if v := metricValue(t, r, reads4xx); v != 1 {
		t.Errorf("read 4xx = %v, want 1 (health, readiness and metrics are not API requests)", v)
	}
	if metricValue(t, r, `runtime_ready{runtime="rust"}`) != 1 || metricValue(t, r, `runtime_authority_writer_active{runtime="rust"}`) != 1 {
		t.Error("a healthy active runtime must report ready and writer active")
	}
	if lag := metricValue(t, r, `runtime_projection_lag_events{runtime="rust"}`); lag < 0 || lag > 5 {
		t.Errorf("healthy lag = %v, want 0..5", lag)
	}
}

func TestWriteErrorFaultAnswers500AndWritesNothing(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	r.SetFaults(Faults{WriteErrorRatio: 1})
	resp := call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	if resp.status != 500 || resp.json(t)["error"] != "internal" {
		t.Fatalf("faulted append = %d %s, want 500 internal", resp.status, resp.body)
	}
	if resp := call(t, r, http.MethodPost, "/internal/v1/runs", `{}`); resp.status != 500 {
		t.Fatalf("faulted create = %d", resp.status)
	}
	// A refused request is still refused for its own reason, not the fault's.
	expect(t, call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":""}`), 400,
		`{"error":"invalid_request","message":"event_type cannot be empty"}`)
	r.SetFaults(Faults{})
	events := call(t, r, http.MethodGet, "/internal/v1/runs/"+id, "").json(t)["run"].(map[string]any)["events"].([]any)
	if len(events) != 1 {
		t.Fatalf("run has %d events after failed writes, want 1", len(events))
	}
	if v := metricValue(t, r, writes5xx); v != 2 {
		t.Errorf("write 5xx = %v, want 2", v)
	}
	if v := metricValue(t, r, projectionKO); v != 2 {
		t.Errorf("projection errors = %v, want 2", v)
	}
}

func TestNotReadyFault(t *testing.T) {
	r, _ := newRuntime(t, nil)
	r.SetFaults(Faults{NotReady: true})
	expect(t, call(t, r, http.MethodGet, "/readyz", ""), 503,
		`{"status":"not_ready","authority_ready":false,"projector_ready":false,"workers_ready":false,"authority_writer_active":true,"fanout_driver":"memory"}`)
	if v := metricValue(t, r, `runtime_ready{runtime="rust"}`); v != 0 {
		t.Errorf("runtime_ready = %v, want 0", v)
	}
	if call(t, r, http.MethodGet, "/healthz", "").status != 200 {
		t.Error("healthz must stay 200 when not ready")
	}
}

func TestDriftEndpointAndFault(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	topic := "/internal/v1/projectors/drift?topic=run:" + id + ":events"
	expect(t, call(t, r, http.MethodGet, topic, ""), 404, `{"error":"not_found"}`)
	if resp := call(t, r, http.MethodGet, "/internal/v1/projectors/drift", ""); resp.status != 400 || resp.body != "Failed to deserialize query string: missing field `topic`" {
		t.Fatalf("missing topic = %d %q, want plain-text 400", resp.status, resp.body)
	}
	expect(t, call(t, r, http.MethodGet, "/internal/v1/projectors/drift?topic=%20", ""), 400,
		`{"error":"invalid_request","message":"topic is required for drift lookup"}`)

	r.SetFaults(Faults{Drift: true})
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	resp := call(t, r, http.MethodGet, topic, "")
	if resp.status != 200 || !strings.Contains(resp.body, `"topic":"run:`+id+`:events","expected_next_seq":3,"last_seen_seq":2,"incoming_seq":4,"reason":"sequence_gap"`) {
		t.Fatalf("drift = %d %s", resp.status, resp.body)
	}
	if v := metricValue(t, r, driftGaps); v != 2 {
		t.Errorf("drift counter = %v, want 2", v)
	}
	if lag := metricValue(t, r, `runtime_projection_lag_events{runtime="rust"}`); lag < 40 || lag > 200 {
		t.Errorf("lag while drifting = %v, want 40..200", lag)
	}
	r.SetFaults(Faults{})
	if call(t, r, http.MethodGet, topic, "").status != 200 {
		t.Error("drift reports must never be cleared")
	}
}

func TestCheckpointRegressionFault(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	for range 3 {
		call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	}
	if v := metricValue(t, r, position); v != 4 {
		t.Fatalf("position = %v, want 4 events projected", v)
	}
	r.SetFaults(Faults{CheckpointRegression: true})
	for range 120 {
		createRun(t, r, `{}`)
	}
	first := metricValue(t, r, position)
	second := metricValue(t, r, position)
	if !(second < first) || first-second != regressionStep {
		t.Fatalf("position %v then %v, want a drop of %d per scrape", first, second, regressionStep)
	}
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	cp := call(t, r, http.MethodGet, "/internal/v1/projectors/checkpoints/"+id, "").json(t)["checkpoint"].(map[string]any)
	if cp["last_seq"] != 3.0 {
		t.Fatalf("checkpoint last_seq = %v, want 3 (regressed from 4 although seq 5 was appended)", cp["last_seq"])
	}
	r.SetFaults(Faults{})
	if v := metricValue(t, r, position); v != 125 {
		t.Errorf("position after the fault = %v, want the true 125", v)
	}
}
