package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openagents/cockpit/sandbox"
)

// createRun writes one run on staging's Rust service and returns its id.
func createRun(t *testing.T, rust string) string {
	t.Helper()
	r := call(t, http.MethodPost, rust+"/internal/v1/runs", map[string]any{"worker_id": "topology-test"}, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /internal/v1/runs = %d %s, want 201", r.status, r.body)
	}
	var created struct {
		Run struct {
			ID string `json:"id"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil || created.Run.ID == "" {
		t.Fatalf("decoding the created run: %v\n%s", err, r.body)
	}
	return created.Run.ID
}

// readRun reads a run n times and counts the answers by status.
func readRun(t *testing.T, rust, id string, n int) map[int]int {
	t.Helper()
	got := map[int]int{}
	for range n {
		got[call(t, http.MethodGet, rust+"/internal/v1/runs/"+id, nil, nil).status]++
	}
	return got
}

// uptimes are the distinct uptime_seconds /healthz answers in n reads.
func uptimes(t *testing.T, rust string, n int) map[int64]bool {
	t.Helper()
	seen := map[int64]bool{}
	for range n {
		var h struct {
			UptimeSeconds int64 `json:"uptime_seconds"`
		}
		r := call(t, http.MethodGet, rust+"/healthz", nil, nil)
		if err := json.Unmarshal([]byte(r.body), &h); err != nil {
			t.Fatalf("/healthz: %v\n%s", err, r.body)
		}
		seen[h.UptimeSeconds] = true
	}
	return seen
}

// TestSeveralRustInstancesHoldTheirOwnRuns: with two instances and no
// affinity a run written on one is 404 on the other, and /healthz tells the
// instances apart by their uptime; the bad day's fix, session affinity,
// answers every read from the instance holding the run.
func TestSeveralRustInstancesHoldTheirOwnRuns(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{RustInstances: 2, RustModeUnset: true})
	rust, _ := w.RuntimeURLs("staging")
	id := createRun(t, rust)
	got := readRun(t, rust, id, 40)
	if got[http.StatusOK] == 0 || got[http.StatusNotFound] == 0 {
		t.Fatalf("40 reads of a run on 2 instances without affinity: %v, want both 200 and 404", got)
	}
	if up := uptimes(t, rust, 40); len(up) < 2 {
		t.Errorf("/healthz uptimes over 40 reads: %v, want the two instances' different uptimes", up)
	}
	st := worldState(t, w)["staging"]
	if st.RustInstances != 2 || st.RustAffinity {
		t.Errorf("ctl state: %d instances, affinity %t; want 2, false", st.RustInstances, st.RustAffinity)
	}

	affine := startWorld(t, sandbox.Options{RustInstances: 2, RustAffinity: true, RustModeUnset: true})
	rust, _ = affine.RuntimeURLs("staging")
	id = createRun(t, rust)
	if got := readRun(t, rust, id, 40); got[http.StatusOK] != 40 {
		t.Fatalf("40 reads with session affinity: %v, want every one 200", got)
	}
	for _, path := range []string{"/internal/v1/projectors/checkpoints/" + id, "/internal/v1/projectors/run-summary/" + id} {
		if r := call(t, http.MethodGet, rust+path, nil, nil); r.status != http.StatusOK {
			t.Errorf("GET %s with affinity = %d %s, want 200", path, r.status, r.body)
		}
	}
}

// TestRedeployLosesEveryRustRun: a new revision with the same variables
// keeps the mode and loses the runs; an unknown runtime is refused.
func TestRedeployLosesEveryRustRun(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{RustModeUnset: true})
	rust, _ := w.RuntimeURLs("staging")
	id := createRun(t, rust)
	mustControl(t, w, "staging", "redeploy", map[string]string{"runtime": "rust"})
	if r := call(t, http.MethodGet, rust+"/internal/v1/runs/"+id, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("the run after a redeploy = %d %s, want 404 not_found", r.status, r.body)
	}
	st := worldState(t, w)["staging"]
	if st.RustWriteMode != "rust_active" {
		t.Errorf("mode after a redeploy = %q, want rust_active (same variables: unset)", st.RustWriteMode)
	}
	if last := st.Controls[len(st.Controls)-1]; last.Control != "redeploy rust" || !last.OK {
		t.Errorf("last control = %+v, want redeploy rust ok", last)
	}
	if r := control(t, w, "staging", "redeploy", map[string]string{"runtime": "elixir"}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, `unknown runtime \"elixir\" (rust or legacy)`) {
		t.Errorf("redeploy elixir = %d %s, want 400 naming the runtimes", r.status, r.body)
	}
}

// TestRustModeUnsetAcceptsWrites: the variable unset is rust_active, the
// code's default, while the example's shadow_only world refuses.
func TestRustModeUnsetAcceptsWrites(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{RustModeUnset: true})
	if st := worldState(t, w)["staging"]; st.RustWriteMode != "rust_active" || st.WriteTarget != "legacy" {
		t.Fatalf("mode unset: rust %q, writes to %q; want rust_active, legacy", st.RustWriteMode, st.WriteTarget)
	}
	frozen := startWorld(t, sandbox.Options{})
	if st := worldState(t, frozen)["staging"]; st.RustWriteMode != "shadow_only" {
		t.Errorf("default world: rust %q, want shadow_only", st.RustWriteMode)
	}
}

// TestLatestRustVersionTagsReplayLinesByEvent: the newest runtime's replay
// and health, beside the older version's, and a version the world lacks.
func TestLatestRustVersionTagsReplayLinesByEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, marker, health, absent string
	}{
		{"latest", `"event":"RuntimeEvent"`, `"db_configured":false`, `"fanout_driver"`},
		{"", `"type":"RuntimeEvent"`, `"fanout_driver":"memory"`, `"db_configured"`},
	} {
		w := startWorld(t, sandbox.Options{RustModeUnset: true, RustVersion: tc.version})
		rust, _ := w.RuntimeURLs("staging")
		id := createRun(t, rust)
		r := call(t, http.MethodGet, rust+"/internal/v1/runs/"+id+"/replay", nil, nil)
		if n := strings.Count(r.body, tc.marker); r.status != http.StatusOK || n != 1 {
			t.Errorf("version %q replay: %d, %d lines with %s, want 1:\n%s", tc.version, r.status, n, tc.marker, r.body)
		}
		if tc.version == "latest" && !strings.Contains(r.body, `"t":"`) {
			t.Errorf("latest replay has no \"t\" field:\n%s", r.body)
		}
		h := call(t, http.MethodGet, rust+"/healthz", nil, nil)
		if !strings.Contains(h.body, tc.health) || strings.Contains(h.body, tc.absent) {
			t.Errorf("version %q /healthz = %s, want %s and no %s", tc.version, h.body, tc.health, tc.absent)
		}
	}
	if _, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), RustVersion: "z"}); err == nil ||
		!strings.Contains(err.Error(), `unknown rust runtime version "z"`) {
		t.Errorf("version z: %v, want it refused by name", err)
	}
}
