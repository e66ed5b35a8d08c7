package rustsim

import (
	"net/http"
	"strings"
	"testing"
)

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
}

func TestNotReadyFault(t *testing.T) {
	r, _ := newRuntime(t, nil)
	r.SetFaults(Faults{NotReady: true})
	expect(t, call(t, r, http.MethodGet, "/readyz", ""), 503,
		`{"status":"not_ready","authority_ready":false,"projector_ready":false,"workers_ready":false,"authority_writer_active":true,"fanout_driver":"memory"}`)
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
	// A run written under the fault drifts from its first event.
	fresh := createRun(t, r, `{}`)
	r.SetFaults(Faults{})
	if resp := call(t, r, http.MethodGet, "/internal/v1/projectors/drift?topic=run:"+fresh+":events", ""); resp.status != 200 {
		t.Errorf("drift of a run created under the fault = %d %s, want 200", resp.status, resp.body)
	}
	if call(t, r, http.MethodGet, topic, "").status != 200 {
		t.Error("drift reports must never be cleared")
	}
}

// lastSeq reads a run's checkpoint last_seq from the endpoint.
func lastSeq(t *testing.T, r *Runtime, id string) float64 {
	t.Helper()
	resp := call(t, r, http.MethodGet, "/internal/v1/projectors/checkpoints/"+id, "")
	if resp.status != 200 {
		t.Fatalf("checkpoint of %s = %d %s", id, resp.status, resp.body)
	}
	return resp.json(t)["checkpoint"].(map[string]any)["last_seq"].(float64)
}

func TestCheckpointRegressionFaultServesPositionsGoingBackwards(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	for range 3 {
		call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	}
	if got := lastSeq(t, r, id); got != 4 {
		t.Fatalf("healthy last_seq = %v, want 4", got)
	}
	r.SetFaults(Faults{CheckpointRegression: true})
	for _, want := range []float64{3, 2, 1, 0, 0} {
		if got := lastSeq(t, r, id); got != want {
			t.Fatalf("last_seq under the fault = %v, want %v (one lower per read, down to 0)", got, want)
		}
	}
	// Appending does not undo the regression while the fault is on.
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step"}`)
	if got := lastSeq(t, r, id); got != 0 {
		t.Fatalf("last_seq after an append under the fault = %v, want 0", got)
	}
	// The run summary and the run itself are untouched: only the checkpoint regresses.
	if s := call(t, r, http.MethodGet, "/internal/v1/projectors/run-summary/"+id, "").json(t)["summary"].(map[string]any); s["last_seq"] != 5.0 {
		t.Errorf("summary last_seq = %v, want 5", s["last_seq"])
	}
	r.SetFaults(Faults{})
	if got := lastSeq(t, r, id); got != 5 {
		t.Fatalf("last_seq after the fault = %v, want the true 5", got)
	}
}

func TestRestartKeepsProjectionUnlessTheStateFileIsEphemeral(t *testing.T) {
	for _, c := range []struct {
		state   string
		survive bool
	}{{"", true}, {"durable", true}, {"ephemeral", false}, {" Ephemeral ", false}} {
		r, _ := newRuntime(t, map[string]string{EnvProjectionState: c.state})
		r.SetFaults(Faults{Drift: true})
		old := createRun(t, r, `{}`)
		r.SetFaults(Faults{})
		env := r.Env()
		env["RUNTIME_AUTHORITY_WRITE_MODE"] = "rust_active"
		if err := r.Restart(env); err != nil {
			t.Fatal(err)
		}
		// A run written after the restart, before any projector read, is kept.
		fresh := createRun(t, r, `{}`)
		expect(t, call(t, r, http.MethodGet, "/internal/v1/runs/"+old, ""), 404, `{"error":"not_found"}`)
		want := map[bool]int{true: 200, false: 404}[c.survive]
		for _, p := range []string{
			"/internal/v1/projectors/checkpoints/" + old,
			"/internal/v1/projectors/run-summary/" + old,
			"/internal/v1/projectors/drift?topic=run:" + old + ":events",
		} {
			if resp := call(t, r, http.MethodGet, p, ""); resp.status != want {
				t.Errorf("state %q: GET %s after restart = %d %s, want %d", c.state, p, resp.status, resp.body, want)
			}
		}
		if got := lastSeq(t, r, fresh); got != 1 {
			t.Errorf("state %q: new run's checkpoint = %v, want 1", c.state, got)
		}
	}
}
