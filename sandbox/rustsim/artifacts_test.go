package rustsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReplayAndReceiptBytes(t *testing.T) {
	r, clk := newRuntime(t, nil)
	id := createRun(t, r, `{"metadata":{"policy_bundle_id":"policy.v1","source":"test"}}`)
	clk.advance(time.Second + 456*time.Microsecond)
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.step","payload":{"b":2,"a":"<x>"},"idempotency_key":"k"}`)
	clk.advance(time.Second)
	call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"run.finished","payload":{"status":"succeeded"}}`)

	resp := call(t, r, http.MethodGet, "/internal/v1/runs/"+id+"/replay", "")
	if ct := resp.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("content type %q", ct)
	}
	t0, t1, t2 := "2026-02-21T10:00:00.123+00:00", "2026-02-21T10:00:01.123456+00:00", "2026-02-21T10:00:02.123456+00:00"
	want := strings.Join([]string{
		`{"created_at":"` + t0 + `","producer":"openagents-runtime","replay_version":1,"type":"ReplayHeader"}`,
		`{"policy_bundle_id":"policy.v1","session_id":"` + id + `","ts":"` + t0 + `","type":"SessionStart"}`,
		`{"payload":{"source":"runtime"},"payload_hash":"` + sha256Prefixed([]byte(`{"source":"runtime"}`)) + `","runtime_event_type":"run.started","seq":1,"session_id":"` + id + `","ts":"` + t0 + `","type":"RuntimeEvent"}`,
		`{"payload":{"a":"<x>","b":2},"payload_hash":"` + sha256Prefixed([]byte(`{"a":"<x>","b":2}`)) + `","runtime_event_type":"run.step","seq":2,"session_id":"` + id + `","ts":"` + t1 + `","type":"RuntimeEvent"}`,
		`{"payload":{"status":"succeeded"},"payload_hash":"` + sha256Prefixed([]byte(`{"status":"succeeded"}`)) + `","runtime_event_type":"run.finished","seq":3,"session_id":"` + id + `","ts":"` + t2 + `","type":"RuntimeEvent"}`,
		`{"confidence":1.0,"session_id":"` + id + `","status":"success","total_tool_calls":0,"ts":"` + t2 + `","type":"SessionEnd"}`,
	}, "\n") + "\n"
	if resp.body != want {
		t.Fatalf("replay\n got %s\nwant %s", resp.body, want)
	}

	traj := sha256Prefixed([]byte(`[` +
		`{"event_type":"run.started","idempotency_key":null,"payload":{"source":"runtime"},"recorded_at":"` + t0 + `","seq":1},` +
		`{"event_type":"run.step","idempotency_key":"k","payload":{"a":"<x>","b":2},"recorded_at":"` + t1 + `","seq":2},` +
		`{"event_type":"run.finished","idempotency_key":null,"payload":{"status":"succeeded"},"recorded_at":"` + t2 + `","seq":3}]`))
	expect(t, call(t, r, http.MethodGet, "/internal/v1/runs/"+id+"/receipt", ""), 200,
		`{"schema":"openagents.receipt.v1","session_id":"`+id+`","trajectory_hash":"`+traj+`","policy_bundle_id":"policy.v1","created_at":"`+t0+`","event_count":3,"first_seq":1,"last_seq":3,"tool_calls":[],"verification":[]}`)

	cp := call(t, r, http.MethodGet, "/internal/v1/projectors/checkpoints/"+id, "")
	expect(t, cp, 200, `{"checkpoint":{"topic":"run:`+id+`:events","last_seq":3,"last_event_type":"run.finished","updated_at":"2026-02-21T10:00:02.123456Z"}}`)
}

func TestUnfinishedRunReplaysAsHalfConfidentSuccess(t *testing.T) {
	r, _ := newRuntime(t, nil)
	id := createRun(t, r, `{}`)
	body := call(t, r, http.MethodGet, "/internal/v1/runs/"+id+"/replay", "").body
	if !strings.Contains(body, `"confidence":0.5`) || !strings.Contains(body, `"policy_bundle_id":"runtime.default"`) {
		t.Fatalf("replay of a running run: %s", body)
	}
}
