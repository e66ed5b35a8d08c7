package rustsim

import (
	"net/http"
	"testing"
)

func TestWorkerLifecycleIsOwnerScoped(t *testing.T) {
	r, _ := newRuntime(t, nil)
	resp := call(t, r, http.MethodPost, "/internal/v1/workers", `{"worker_id":"desktop:w1","owner_user_id":7,"metadata":{"env":"dev"}}`)
	if resp.status != 201 {
		t.Fatalf("register = %d %s", resp.status, resp.body)
	}
	snap := resp.json(t)["worker"].(map[string]any)
	if snap["worker"].(map[string]any)["status"] != "running" || snap["liveness"].(map[string]any)["heartbeat_state"] != "fresh" {
		t.Fatalf("snapshot = %v", snap)
	}
	expect(t, call(t, r, http.MethodGet, "/internal/v1/workers/desktop:w1", ""), 400,
		`{"error":"invalid_request","message":"owner_user_id or owner_guest_scope must be provided (but not both)"}`)
	expect(t, call(t, r, http.MethodGet, "/internal/v1/workers/desktop:w1?owner_user_id=8", ""), 403,
		`{"error":"forbidden","message":"owner mismatch for worker desktop:w1"}`)
	if call(t, r, http.MethodGet, "/internal/v1/workers/desktop:w1?owner_user_id=7", "").status != 200 {
		t.Fatal("owner read refused")
	}
	expect(t, call(t, r, http.MethodGet, "/internal/v1/workers/nobody?owner_user_id=7", ""), 404, `{"error":"not_found"}`)

	if resp := call(t, r, http.MethodPost, "/internal/v1/workers/desktop:w1/heartbeat", `{"owner_user_id":7}`); resp.status != 200 {
		t.Fatalf("heartbeat = %d %s", resp.status, resp.body)
	}
	if resp := call(t, r, http.MethodPost, "/internal/v1/workers/desktop:w1/status", `{"owner_user_id":7,"status":"stopped"}`); resp.status != 200 {
		t.Fatalf("stop = %d %s", resp.status, resp.body)
	}
	expect(t, call(t, r, http.MethodPost, "/internal/v1/workers/desktop:w1/status", `{"owner_user_id":7,"status":"stopping"}`), 400,
		`{"error":"invalid_request","message":"invalid worker transition from Stopped to Stopping"}`)
	if resp := call(t, r, http.MethodPost, "/internal/v1/workers/desktop:w1/status", `{"owner_user_id":7,"status":"asleep"}`); resp.status != 422 {
		t.Fatalf("unknown status = %d %q, want 422", resp.status, resp.body)
	}
	cp := call(t, r, http.MethodGet, "/internal/v1/workers/desktop:w1/checkpoint", "").json(t)["checkpoint"].(map[string]any)
	if cp["topic"] != "worker:desktop:w1:lifecycle" || cp["last_seq"] != 3.0 || cp["last_event_type"] != "worker.stopped" {
		t.Fatalf("worker checkpoint = %v", cp)
	}

	fanout := call(t, r, http.MethodGet, "/internal/v1/khala/fanout/metrics?topic_limit=5", "").json(t)
	windows := fanout["topic_windows"].([]any)
	if fanout["driver"] != "memory" || len(windows) != 1 || windows[0].(map[string]any)["head_sequence"] != 3.0 {
		t.Fatalf("fanout metrics = %v", fanout)
	}
}

func TestKhalaPollNeedsAuthorization(t *testing.T) {
	r, _ := newRuntime(t, nil)
	expect(t, call(t, r, http.MethodGet, "/internal/v1/khala/topics/run:x:events/messages", ""), 401,
		`{"error":"unauthorized","message":"missing authorization header"}`)
}
