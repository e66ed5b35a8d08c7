package legacysim

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openagents/cockpit/legacyauth"
)

var testNow = time.Date(2026, 2, 21, 10, 0, 0, 0, time.UTC)

const frozenBody = `{"error":{"code":"write_path_frozen","message":"Legacy runtime authority writes are frozen. Route writes through Rust runtime authority."}}`

func newNode(t *testing.T, env map[string]string) *Runtime {
	t.Helper()
	r, err := New(Options{Env: env, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// signed returns a fresh signature for the dev secret with optional claims.
func signed(t *testing.T, secret string, edit func(*legacyauth.Claims)) string {
	t.Helper()
	c := legacyauth.NewClaims(testNow, time.Minute)
	if edit != nil {
		edit(&c)
	}
	h, err := legacyauth.Sign([]byte(secret), c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type result struct {
	status int
	body   string
}

func do(t *testing.T, r *Runtime, method, path, body, sig string, headers ...string) result {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if sig != "" {
		req.Header.Set(legacyauth.Header, sig)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, req)
	return result{rec.Code, rec.Body.String()}
}

func want(t *testing.T, got result, status int, body string) {
	t.Helper()
	if got.status != status || (body != "" && got.body != body) {
		t.Fatalf("got %d %s, want %d %s", got.status, got.body, status, body)
	}
}

func metric(t *testing.T, r *Runtime, series string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(do(t, r, http.MethodGet, "/metrics", "", "").body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatalf("series %s missing", series)
	return 0
}

func TestHealthNeedsASignature(t *testing.T) {
	r := newNode(t, map[string]string{EnvVersion: "1.2.3"})
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", ""), 401, "")
	if got := do(t, r, http.MethodGet, "/internal/v1/health", "", ""); !strings.HasPrefix(got.body, `{"error":{"code":"unauthorized"`) {
		t.Fatalf("unsigned health body %s", got.body)
	}
	sig := signed(t, DevSecret, nil)
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", sig), 200, `{"service":"runtime","status":"ok","version":"1.2.3"}`)
	// The same nonce again is a replay.
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", sig), 401, "")
	// Signed with another secret.
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, "wrong", nil)), 401, "")
}

func TestConfiguredSecretReplacesTheDevSecret(t *testing.T) {
	r := newNode(t, map[string]string{EnvSecret: "s3cret"})
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, DevSecret, nil)), 401, "")
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, "s3cret", nil)), 200, "")
	if _, err := New(Options{Env: map[string]string{EnvMixEnv: "prod"}}); err == nil {
		t.Fatal("production booted without a signature secret")
	}
}

func TestFreezeIsReadPerRequestAndComesAfterAuth(t *testing.T) {
	r := newNode(t, nil)
	r.SetEnv(EnvFreeze, " Yes ")
	if !r.Frozen() {
		t.Fatal("Frozen() false after SetEnv yes")
	}
	body := `{"worker_id":"w1"}`
	// Unsigned: 401, never 410.
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", body, ""), 401, "")
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", body, signed(t, DevSecret, nil)), 410, frozenBody)
	// The safe probe shape (valid signature, body failing validation) is frozen too.
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{}`, signed(t, DevSecret, nil)), 410, frozenBody)
	// Reads are never frozen.
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, DevSecret, nil)), 200, "")
	if r.Writes() != 0 {
		t.Fatalf("frozen node accepted %d writes", r.Writes())
	}
}

func TestNotFrozenInvalidBodyIs422AndWritesNothing(t *testing.T) {
	r := newNode(t, nil)
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{}`, signed(t, DevSecret, nil)), 422,
		`{"error":{"code":"invalid_request","message":"worker_id is required"}}`)
	for _, m := range mutations {
		path := strings.NewReplacer(":run_id", "r1", ":worker_id", "w1", ":skill_id", "s1", ":version", "1").Replace(m.pattern)
		sig := signed(t, DevSecret, func(c *legacyauth.Claims) { c.RunID = "r1" })
		if got := do(t, r, http.MethodPost, path, `{"probe":true}`, sig); got.status != 422 {
			t.Errorf("POST %s with no required fields = %d %s, want 422", path, got.status, got.body)
		}
	}
	if r.Writes() != 0 {
		t.Fatalf("invalid bodies wrote %d times", r.Writes())
	}
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{"worker_id":"w1"}`, signed(t, DevSecret, nil)), 202, "")
	if r.Writes() != 1 {
		t.Fatalf("writes = %d, want 1", r.Writes())
	}
}

func TestIgnoreFreezeAcceptsWritesWhileReportingFrozen(t *testing.T) {
	r := newNode(t, map[string]string{EnvFreeze: "1"})
	r.SetFaults(Faults{IgnoreFreeze: true})
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{"worker_id":"w1"}`, signed(t, DevSecret, nil)), 202, "")
	if !r.Frozen() || r.Writes() != 1 {
		t.Fatalf("Frozen()=%v writes=%d: want reported frozen with the write accepted", r.Frozen(), r.Writes())
	}
}

func TestPipelineOrder(t *testing.T) {
	r := newNode(t, map[string]string{EnvFreeze: "true"})
	// Malformed JSON is refused by the parser before routing and auth.
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{"worker_id":`, ""), 400, `{"errors":{"detail":"Bad Request"}}`)
	// Unknown routes and non-POST methods on POST paths are Phoenix 404s, before auth and freeze.
	want(t, do(t, r, http.MethodGet, "/internal/v1/nope", "", ""), 404, `{"errors":{"detail":"Not Found"}}`)
	want(t, do(t, r, http.MethodPut, "/internal/v1/codex/workers", `{"worker_id":"w"}`, signed(t, DevSecret, nil)), 404, `{"errors":{"detail":"Not Found"}}`)
	want(t, do(t, r, http.MethodDelete, "/internal/v1/runs/r1/cancel", "", ""), 404, "")
	// A non-JSON Accept is 406 before auth.
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", "", "Accept", "text/html"), 406, `{"errors":{"detail":"Not Acceptable"}}`)
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, DevSecret, nil), "Accept", "text/html,*/*;q=0.8"), 200, "")
}

func TestClaimsMustMatchWhatTheRequestNames(t *testing.T) {
	r := newNode(t, nil)
	body := `{"frames":[{"seq":1}]}`
	want(t, do(t, r, http.MethodPost, "/internal/v1/runs/r1/frames", body, signed(t, DevSecret, nil)), 403,
		`{"error":{"code":"forbidden","message":"claim mismatch for run_id"}}`)
	sig := signed(t, DevSecret, func(c *legacyauth.Claims) { c.RunID = "r1" })
	want(t, do(t, r, http.MethodPost, "/internal/v1/runs/r1/frames", body, sig, "x-oa-user-id", "7"), 403,
		`{"error":{"code":"forbidden","message":"claim mismatch for user_id"}}`)
	// A run the node never held is 404 not_found, and writes nothing.
	want(t, do(t, r, http.MethodPost, "/internal/v1/runs/r1/frames", body, signed(t, DevSecret, func(c *legacyauth.Claims) { c.RunID = "r1" })), 404,
		`{"error":{"code":"not_found","message":"run/thread ownership record not found"}}`)
	if r.Writes() != 0 {
		t.Fatalf("a frame for an unknown run was recorded: %d writes", r.Writes())
	}
	r.CreateRun("r1")
	// The refused request did not burn the nonce.
	want(t, do(t, r, http.MethodPost, "/internal/v1/runs/r1/frames", body, sig), 200, "")
	snap := signed(t, DevSecret, func(c *legacyauth.Claims) { c.RunID = "r1" })
	want(t, do(t, r, http.MethodGet, "/internal/v1/runs/r1/snapshot", "", snap), 200, `{"data":{"run_id":"r1","status":"running","latest_seq":1}}`)
}

func TestRestartLosesNonceCache(t *testing.T) {
	r := newNode(t, nil)
	sig := signed(t, DevSecret, nil)
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", sig), 200, "")
	if err := r.Restart(map[string]string{EnvFreeze: "on"}); err != nil {
		t.Fatal(err)
	}
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", sig), 200, "")
	if !r.Frozen() {
		t.Error("restart env not applied")
	}
	if err := r.Restart(map[string]string{EnvMixEnv: "prod"}); err == nil || !r.Frozen() {
		t.Fatalf("a refused restart must keep the old node: err=%v frozen=%v", err, r.Frozen())
	}
}

func TestFaults(t *testing.T) {
	r := newNode(t, nil)
	r.SetFaults(Faults{NotReady: true, WriteErrorRatio: 1})
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, DevSecret, nil)), 503, `{"service":"runtime","status":"degraded","version":"0.1.0"}`)
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{"worker_id":"w1"}`, signed(t, DevSecret, nil)), 500, `{"errors":{"detail":"Internal Server Error"}}`)
	if r.Writes() != 0 {
		t.Fatal("a failed write was recorded")
	}
	if metric(t, r, `phoenix_endpoint_stop_duration_count{status_class="5xx"}`) != 2 {
		t.Error("the endpoint telemetry must count the degraded health and the failed write as 5xx")
	}
}

// TestTelemetryIsTheLegacyAppsOnly: the node exports the Phoenix endpoint
// summary (no quantiles, status_class only) and whatever telemetry is
// registered on it, nothing else: no readiness or freeze metric exists.
func TestTelemetryIsTheLegacyAppsOnly(t *testing.T) {
	r := newNode(t, nil)
	if body := do(t, r, http.MethodGet, "/metrics", "", "").body; strings.Contains(body, "phoenix_endpoint_stop_duration") {
		t.Fatalf("a series before any request:\n%s", body)
	}
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", signed(t, DevSecret, nil)), 200, "")
	want(t, do(t, r, http.MethodGet, "/internal/v1/health", "", ""), 401, "")
	want(t, do(t, r, http.MethodPost, "/internal/v1/codex/workers", `{"worker_id":"w1"}`, signed(t, DevSecret, nil)), 202, "")
	if v := metric(t, r, `phoenix_endpoint_stop_duration_count{status_class="2xx"}`); v != 2 {
		t.Errorf("2xx count = %v, want 2", v)
	}
	if v := metric(t, r, `phoenix_endpoint_stop_duration_count{status_class="4xx"}`); v != 1 {
		t.Errorf("4xx count = %v, want 1", v)
	}
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "openagents_runtime_khala_projection_replay_count"})
	if err := r.RegisterTelemetry(extra); err != nil {
		t.Fatal(err)
	}
	var names []string
	sc := bufio.NewScanner(strings.NewReader(do(t, r, http.MethodGet, "/metrics", "", "").body))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line[:strings.IndexAny(line, "{ ")])
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	wantNames := []string{"openagents_runtime_khala_projection_replay_count", "phoenix_endpoint_stop_duration_count", "phoenix_endpoint_stop_duration_sum"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("exported names %v, want %v", names, wantNames)
	}
}
