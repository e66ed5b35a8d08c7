package rustsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const frozenShadow = `{"error":"write_path_frozen","message":"runtime authority writes are disabled in mode shadow_only"}`

func TestNewReadsWriteMode(t *testing.T) {
	for env, want := range map[string]string{"": ModeRustActive, " Shadow_Only ": ModeShadowOnly, "read_only": ModeReadOnly} {
		e := map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": env}
		if env == "" {
			e = nil
		}
		r, _ := newRuntime(t, e)
		if r.Mode() != want {
			t.Errorf("mode for %q = %q, want %q", env, r.Mode(), want)
		}
	}
	if _, err := New(Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "legacy"}}); err == nil ||
		!strings.Contains(err.Error(), "refuses to start") {
		t.Fatalf("New with an unknown mode: err = %v, want a refusal to start", err)
	}
}

func TestFrozenModesRefuseEveryWriteAfterExtraction(t *testing.T) {
	for _, mode := range []string{ModeShadowOnly, ModeReadOnly} {
		t.Run(mode, func(t *testing.T) {
			r, _ := newRuntime(t, map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": mode})
			frozen := `{"error":"write_path_frozen","message":"runtime authority writes are disabled in mode ` + mode + `"}`
			expect(t, call(t, r, http.MethodPost, "/internal/v1/runs", `{}`), 503, frozen)
			// The safe probe: a random run id with a valid body.
			expect(t, call(t, r, http.MethodPost, "/internal/v1/runs/0190f3a0-0000-7000-8000-00000000abcd/events", `{"event_type":"probe"}`), 503, frozen)
			expect(t, call(t, r, http.MethodPost, "/internal/v1/workers", `{"owner_user_id":1}`), 503, frozen)
			// Extraction still comes first: a bad id or body is the framework's plain 400/422, not 503.
			for _, c := range []struct{ path, body string }{
				{"/internal/v1/runs/xyz/events", `{"event_type":"probe"}`},
				{"/internal/v1/runs", `{"worker_id":7}`},
				{"/internal/v1/workers", `{"adapter":7}`},
				{"/internal/v1/workers/w1/heartbeat", `{"owner_user_id":"seven"}`},
				{"/internal/v1/workers/w1/status", `{"owner_user_id":7,"status":"paused"}`},
			} {
				if resp := call(t, r, http.MethodPost, c.path, c.body); (resp.status != 400 && resp.status != 422) || strings.HasPrefix(resp.body, "{") {
					t.Fatalf("POST %s %s while frozen = %d %q, want a plain-text 400 or 422", c.path, c.body, resp.status, resp.body)
				}
			}
			health := call(t, r, http.MethodGet, "/healthz", "").json(t)
			if health["authority_write_mode"] != mode || health["authority_writer_active"] != false {
				t.Errorf("healthz = %v, want mode %s and writer inactive", health, mode)
			}
			if call(t, r, http.MethodGet, "/readyz", "").status != 200 {
				t.Error("a frozen runtime must still be ready")
			}
		})
	}
}

func TestSafeProbeOnActiveRuntimeIs404AndWritesNothing(t *testing.T) {
	r, _ := newRuntime(t, nil)
	const probed = "0190f3a0-0000-7000-8000-000000000000"
	expect(t, call(t, r, http.MethodPost, "/internal/v1/runs/"+probed+"/events", `{"event_type":"probe"}`), 404, `{"error":"not_found"}`)
	for _, path := range []string{"/internal/v1/projectors/checkpoints/" + probed, "/internal/v1/projectors/run-summary/" + probed} {
		if resp := call(t, r, http.MethodGet, path, ""); resp.status != http.StatusNotFound {
			t.Fatalf("GET %s after the probe = %d %s, want 404: the probe projected something", path, resp.status, resp.body)
		}
	}
}

func TestRestartLosesRunsButKeepsProjections(t *testing.T) {
	r, clk := newRuntime(t, map[string]string{"RUNTIME_BUILD_SHA": "abc123"})
	id := createRun(t, r, `{}`)
	clk.advance(90 * time.Second)
	if up := call(t, r, http.MethodGet, "/healthz", "").json(t)["uptime_seconds"]; up != 90.0 {
		t.Fatalf("uptime = %v, want 90", up)
	}

	if err := r.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "bogus"}); err == nil {
		t.Fatal("Restart with an invalid mode succeeded")
	}
	if call(t, r, http.MethodGet, "/internal/v1/runs/"+id, "").status != 200 || r.Mode() != ModeRustActive {
		t.Fatal("a failed restart must leave the old process serving unchanged")
	}

	if err := r.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "shadow_only"}); err != nil {
		t.Fatal(err)
	}
	if r.Mode() != ModeShadowOnly || r.Env()["RUNTIME_AUTHORITY_WRITE_MODE"] != "shadow_only" {
		t.Fatalf("after restart mode=%s env=%v", r.Mode(), r.Env())
	}
	for _, p := range []string{"", "/receipt", "/replay"} {
		expect(t, call(t, r, http.MethodGet, "/internal/v1/runs/"+id+p, ""), 404, `{"error":"not_found"}`)
	}
	expect(t, call(t, r, http.MethodPost, "/internal/v1/runs/"+id+"/events", `{"event_type":"x"}`), 503, frozenShadow)
	for _, p := range []string{"/internal/v1/projectors/checkpoints/", "/internal/v1/projectors/run-summary/"} {
		if resp := call(t, r, http.MethodGet, p+id, ""); resp.status != 200 {
			t.Errorf("GET %s after restart = %d, want 200 (projection state survives)", p, resp.status)
		}
	}
	health := call(t, r, http.MethodGet, "/healthz", "").json(t)
	if health["uptime_seconds"] != 0.0 || health["build_sha"] != "dev" {
		t.Errorf("healthz after restart = %v, want uptime 0 and the new env's build_sha", health)
	}
}

func TestEnvIsACopy(t *testing.T) {
	r, _ := newRuntime(t, map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"})
	r.Env()["RUNTIME_AUTHORITY_WRITE_MODE"] = "read_only"
	if r.Env()["RUNTIME_AUTHORITY_WRITE_MODE"] != "rust_active" {
		t.Fatal("mutating Env()'s result changed the runtime")
	}
}

func TestReadsRejectBadQueriesAsPlainText(t *testing.T) {
	r, _ := newRuntime(t, nil)
	for _, path := range []string{
		"/internal/v1/workers/w1?owner_user_id=seven",
		"/internal/v1/khala/fanout/metrics?topic_limit=-1",
		"/internal/v1/projectors/checkpoints/xyz",
		"/internal/v1/projectors/run-summary/xyz",
		"/internal/v1/runs/xyz/receipt",
	} {
		if resp := call(t, r, http.MethodGet, path, ""); resp.status != 400 || strings.HasPrefix(resp.body, "{") {
			t.Errorf("GET %s = %d %q, want a plain-text 400", path, resp.status, resp.body)
		}
	}
}

// TestNoPrometheusMetrics: the runtime exports no Prometheus metrics
// (docs/runtime-facts.md §6). /metrics is an unknown path (axum's empty 404), and
// the only numeric telemetry, the fanout metrics, is JSON.
func TestNoPrometheusMetrics(t *testing.T) {
	r, _ := newRuntime(t, nil)
	createRun(t, r, `{}`)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if resp := call(t, r, method, "/metrics", ""); resp.status != http.StatusNotFound || resp.body != "" {
			t.Errorf("%s /metrics = %d %q, want an empty 404", method, resp.status, resp.body)
		}
	}
	resp := call(t, r, http.MethodGet, "/internal/v1/khala/fanout/metrics", "")
	if ct := resp.header.Get("Content-Type"); resp.status != http.StatusOK || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("fanout metrics = %d %s (%s), want JSON", resp.status, resp.body, ct)
	}
	if strings.Contains(resp.body, "# TYPE") {
		t.Errorf("fanout metrics look like a Prometheus exposition: %s", resp.body)
	}
}
