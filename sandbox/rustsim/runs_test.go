package rustsim

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateRunAnswers201WithStartedEvent(t *testing.T) {
	r, _ := newRuntime(t, nil)
	resp := call(t, r, http.MethodPost, "/internal/v1/runs", `{}`)
	if resp.status != http.StatusCreated {
		t.Fatalf("status %d %s", resp.status, resp.body)
	}
	run := resp.json(t)["run"].(map[string]any)
	id := run["id"].(string)
	if _, err := parseUUID(id); err != nil || id[14] != '7' {
		t.Errorf("id %q is not a UUIDv7", id)
	}
	wantPrefix := `{"run":{"id":"` + id + `","worker_id":null,"status":"running","metadata":null,"events":[{"seq":1,"event_type":"run.started","payload":{"source":"runtime"},"idempotency_key":null,"recorded_at":"2026-02-21T10:00:00.123Z"}],"created_at":"2026-02-21T10:00:00.123Z","updated_at":"2026-02-21T10:00:00.123Z"}}`
	if resp.body != wantPrefix {
		t.Errorf("body\n got %s\nwant %s", resp.body, wantPrefix)
	}
	if second := createRun(t, r, `{}`); second == id {
		t.Error("a second create returned the same run: creates must not be idempotent")
	}
}

func TestAppendChecksInTheRuntimesOrder(t *testing.T) {
	r, _ := newRuntime(t, nil)
	unknown := "/internal/v1/runs/0190f3a0-0000-7000-8000-000000000000/events"
	// An empty event type is refused before the run is looked up.
	expect(t, call(t, r, http.MethodPost, unknown, `{"event_type":"  "}`), 400,
		`{"error":"invalid_request","message":"event_type cannot be empty"}`)
	expect(t, call(t, r, http.MethodPost, unknown, `{"event_type":"x"}`), 404, `{"error":"not_found"}`)

	id := createRun(t, r, `{"worker_id":"w1"}`)
	events := "/internal/v1/runs/" + id + "/events"
	expect(t, call(t, r, http.MethodPost, events, `{"event_type":"run.finished","payload":{}}`), 400,
		`{"error":"invalid_request","message":"run.finished requires payload.status"}`)
	expect(t, call(t, r, http.MethodPost, events, `{"event_type":"run.finished","payload":{"status":"done"}}`), 400,
		`{"error":"invalid_request","message":"invalid run.finished payload.status: done"}`)

	step := call(t, r, http.MethodPost, events, `{"event_type":"run.step","idempotency_key":"k1","expected_previous_seq":1}`)
	if step.status != 200 || len(step.json(t)["run"].(map[string]any)["events"].([]any)) != 2 {
		t.Fatalf("append: %d %s", step.status, step.body)
	}
	// A duplicate (trimmed) key appends nothing, even with a stale expected_previous_seq:
	// the duplicate check comes before the sequence check.
	dup := call(t, r, http.MethodPost, events, `{"event_type":"run.step","idempotency_key":" k1 ","expected_previous_seq":1}`)
	if dup.status != 200 || dup.body != step.body {
		t.Fatalf("duplicate: %d %s, want the unchanged run %s", dup.status, dup.body, step.body)
	}
	expect(t, call(t, r, http.MethodPost, events, `{"event_type":"run.step","expected_previous_seq":1}`), 409,
		`{"error":"conflict","message":"expected_previous_seq 1 does not match actual previous seq 2"}`)

	fin := call(t, r, http.MethodPost, events, `{"event_type":"run.finished","payload":{"status":"cancelled"}}`)
	if got := fin.json(t)["run"].(map[string]any)["status"]; got != "canceled" {
		t.Fatalf("status after cancelled finish = %v, want canceled", got)
	}
	// The transition is checked before the duplicate key.
	expect(t, call(t, r, http.MethodPost, events, `{"event_type":"run.cancel_requested","idempotency_key":"k1"}`), 400,
		`{"error":"invalid_request","message":"invalid run transition: Canceled -> RequestCancel"}`)

	sum := call(t, r, http.MethodGet, "/internal/v1/projectors/run-summary/"+id, "").json(t)["summary"].(map[string]any)
	if sum["status"] != "cancelled" || sum["last_seq"] != 3.0 || sum["event_count"] != 3.0 {
		t.Errorf("summary = %v, want status copied verbatim (cancelled), last_seq 3, event_count 3", sum)
	}
	hash := sha256Prefixed([]byte(`{"event_count":3,"last_seq":3,"run_id":"` + id + `","status":"cancelled"}`))
	if sum["projection_hash"] != hash {
		t.Errorf("projection_hash = %v, want %s", sum["projection_hash"], hash)
	}
}

func TestExtractorRejectionsArePlainText(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	tests := []struct {
		name, path, body, ctype string
		status                  int
		prefix                  string
	}{
		{"bad uuid", "/internal/v1/runs/not-a-uuid/events", `{"event_type":"x"}`, "application/json", 400, "Invalid URL: UUID parsing failed"},
		{"bad json", "/internal/v1/runs/" + id + "/events", `{"event_type":`, "application/json", 400, "Failed to parse the request body as JSON"},
		{"no content type", "/internal/v1/runs/" + id + "/events", `{"event_type":"x"}`, "", 415, "Expected request with `Content-Type: application/json`"},
		{"missing field", "/internal/v1/runs/" + id + "/events", `{}`, "application/json", 422, "Failed to deserialize the JSON body into the target type: missing field `event_type`"},
		{"wrong type", "/internal/v1/runs/" + id + "/events", `{"event_type":5}`, "application/json", 422, "Failed to deserialize the JSON body into the target type: event_type: invalid type: integer `5`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptestRequest(http.MethodPost, tt.path, tt.body, tt.ctype)
			resp := serve(r, req)
			if resp.status != tt.status || !strings.HasPrefix(resp.body, tt.prefix) || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
				t.Fatalf("got %d %q (%s), want %d text/plain starting %q", resp.status, resp.body, resp.header.Get("Content-Type"), tt.status, tt.prefix)
			}
		})
	}
}

func TestUnknownPathIsEmpty404AndWrongMethod405(t *testing.T) {
	r, _ := newRuntime(t, nil)
	expect(t, call(t, r, http.MethodGet, "/internal/v1/nope", ""), 404, "")
	expect(t, call(t, r, http.MethodGet, "/internal/v1/runs/", ""), 404, "")
	resp := call(t, r, http.MethodGet, "/internal/v1/runs", "")
	if resp.status != 405 || resp.body != "" || resp.header.Get("Allow") != "POST" {
		t.Fatalf("GET /internal/v1/runs = %d %q Allow=%q, want empty 405 Allow: POST", resp.status, resp.body, resp.header.Get("Allow"))
	}
}
