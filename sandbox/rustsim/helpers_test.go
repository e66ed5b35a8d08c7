package rustsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testClock is a settable clock shared by a test and its runtime.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 2, 21, 10, 0, 0, 123_000_000, time.UTC)}
}

func newRuntime(t *testing.T, env map[string]string) (*Runtime, *testClock) {
	t.Helper()
	clk := newClock()
	r, err := New(Options{Env: env, Now: clk.now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r, clk
}

type response struct {
	status int
	header http.Header
	body   string
}

func (resp response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", resp.body, err)
	}
	return m
}

func call(t *testing.T, r *Runtime, method, path, body string) response {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func expect(t *testing.T, resp response, status int, body string) {
	t.Helper()
	if resp.status != status || resp.body != body {
		t.Fatalf("got %d %q, want %d %q", resp.status, resp.body, status, body)
	}
}

// createRun makes a run and returns its id.
func createRun(t *testing.T, r *Runtime, body string) string {
	t.Helper()
	resp := call(t, r, http.MethodPost, "/internal/v1/runs", body)
	if resp.status != http.StatusCreated {
		t.Fatalf("create run: %d %s", resp.status, resp.body)
	}
	return resp.json(t)["run"].(map[string]any)["id"].(string)
}

func httptestRequest(method, path, body, ctype string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

func serve(r *Runtime, req *http.Request) response {
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}
