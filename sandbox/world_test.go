package sandbox_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/legacyauth"
	"github.com/openagents/cockpit/sandbox"
)

// The exact bodies of docs/runtime-facts.md §1 and §2: the cockpit's probes match
// on them, so the world must answer them byte for byte.
const (
	rustFrozenShadowBody = `{"error":"write_path_frozen","message":"runtime authority writes are disabled in mode shadow_only"}`
	legacyFrozenBody     = `{"error":{"code":"write_path_frozen","message":"Legacy runtime authority writes are frozen. Route writes through Rust runtime authority."}}`
)

// TestRustWritePathFollowsTheWriteModeControl walks Rust from the world's
// start state (shadow_only: every write refused) to rust_active through the
// control API, the way the runbook's S-steps do.
func TestRustWritePathFollowsTheWriteModeControl(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{})
	rust, _ := w.RuntimeURLs("staging")

	r := call(t, http.MethodPost, rust+"/internal/v1/runs", map[string]any{"worker_id": "h9-test"}, nil)
	if r.status != http.StatusServiceUnavailable || r.body != rustFrozenShadowBody {
		t.Fatalf("shadow_only POST /internal/v1/runs = %d %s, want 503 %s", r.status, r.body, rustFrozenShadowBody)
	}

	mustControl(t, w, "staging", "set-env", map[string]string{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})

	r = call(t, http.MethodPost, rust+"/internal/v1/runs", map[string]any{"worker_id": "h9-test", "metadata": map[string]string{"source": "h9-test"}}, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("rust_active POST /internal/v1/runs = %d %s, want 201", r.status, r.body)
	}
	var created struct {
		Run struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Events []struct {
				Seq       int    `json:"seq"`
				EventType string `json:"event_type"`
			} `json:"events"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil {
		t.Fatalf("decoding the created run: %v\n%s", err, r.body)
	}
	if created.Run.Status != "running" || len(created.Run.Events) != 1 || created.Run.Events[0].EventType != "run.started" {
		t.Fatalf("created run = %s, want status running with one run.started event", r.body)
	}

	r = call(t, http.MethodPost, rust+"/internal/v1/runs/"+created.Run.ID+"/events",
		map[string]any{"event_type": "run.step", "payload": map[string]int{"step": 1}, "idempotency_key": "h9-step-1"}, nil)
	if r.status != http.StatusOK {
		t.Fatalf("POST events = %d %s, want 200", r.status, r.body)
	}

	if mode := worldState(t, w)["staging"].RustWriteMode; mode != "rust_active" {
		t.Errorf("ctl state rust_write_mode = %q, want rust_active", mode)
	}
	if mode := worldState(t, w)["production"].RustWriteMode; mode != "shadow_only" {
		t.Errorf("production rust_write_mode = %q after a staging control, want shadow_only", mode)
	}
}

// TestLegacyAuthAndFreeze proves the legacy runtime's pipeline through the
// world: validation refuses a well-formed invalid body and writes nothing
// (the safe freeze probe), the freeze control makes signed writes 410, and
// auth (missing signature, replayed nonce) is checked before the freeze.
func TestLegacyAuthAndFreeze(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{})
	_, legacy := w.RuntimeURLs("staging")
	bindRun := func(id string) func(*legacyauth.Claims) {
		return func(c *legacyauth.Claims) { c.RunID = id }
	}
	snapshot := func(runID string) response {
		return call(t, http.MethodGet, legacy+"/internal/v1/runs/"+runID+"/snapshot", nil, signedHeader(t, w, bindRun(runID)))
	}

	// Not frozen: the cockpit's default freeze probe body is refused by validation.
	r := call(t, http.MethodPost, legacy+"/internal/v1/codex/workers", map[string]any{}, signedHeader(t, w, nil))
	if r.status < 400 || r.status > 499 || r.status == http.StatusUnauthorized {
		t.Fatalf("not frozen, signed invalid body = %d %s, want a 4xx validation error", r.status, r.body)
	}
	// And nothing is written: frames with an empty list leave no snapshot
	// behind; valid frames for a run the runtime never held are 404
	// not_found (the control plane creates legacy runs; legacysim's tests
	// show a held run's frames read back).
	const probedRun, strangerRun = "h9-probe-run", "h9-stranger-run"
	r = call(t, http.MethodPost, legacy+"/internal/v1/runs/"+probedRun+"/frames", map[string]any{"frames": []any{}}, signedHeader(t, w, bindRun(probedRun)))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("not frozen, empty frames = %d %s, want 422", r.status, r.body)
	}
	if s := snapshot(probedRun); s.status != http.StatusNotFound {
		t.Fatalf("snapshot after a refused write = %d %s, want 404: the invalid body wrote something", s.status, s.body)
	}
	r = call(t, http.MethodPost, legacy+"/internal/v1/runs/"+strangerRun+"/frames", map[string]any{"frames": []any{map[string]int{"seq": 1}}}, signedHeader(t, w, bindRun(strangerRun)))
	if r.status != http.StatusNotFound || !strings.Contains(r.body, `"code":"not_found"`) {
		t.Fatalf("not frozen, valid frames for a run legacy never held = %d %s, want 404 not_found", r.status, r.body)
	}
	if s := snapshot(strangerRun); s.status != http.StatusNotFound {
		t.Fatalf("snapshot after a refused frame = %d %s, want 404", s.status, s.body)
	}

	mustControl(t, w, "staging", "set-env", map[string]string{"runtime": "legacy", "assignment": "LEGACY_RUNTIME_WRITE_FREEZE=true"})

	h := signedHeader(t, w, nil)
	worker := map[string]any{"worker_id": "h9-worker"}
	r = call(t, http.MethodPost, legacy+"/internal/v1/codex/workers", worker, h)
	if r.status != http.StatusGone || r.body != legacyFrozenBody {
		t.Fatalf("frozen, signed valid write = %d %s, want 410 %s", r.status, r.body, legacyFrozenBody)
	}
	r = call(t, http.MethodPost, legacy+"/internal/v1/codex/workers", worker, h)
	if r.status != http.StatusUnauthorized {
		t.Errorf("frozen, replayed nonce = %d %s, want 401", r.status, r.body)
	}
	r = call(t, http.MethodPost, legacy+"/internal/v1/codex/workers", worker, nil)
	if r.status != http.StatusUnauthorized {
		t.Errorf("frozen, unsigned = %d %s, want 401", r.status, r.body)
	}
	var unauthorized struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &unauthorized); err != nil || unauthorized.Error.Code != "unauthorized" {
		t.Errorf("unsigned body = %s, want error.code unauthorized", r.body)
	}
	if st := worldState(t, w)["staging"]; !st.LegacyWriteFreeze {
		t.Errorf("ctl state legacy_write_freeze = false after the freeze control")
	}
}

// TestStartRefusesABusyControlAddr: a control port someone else holds is
// an error naming the address (not a crash), and Start cleans up after itself.
func TestStartRefusesABusyControlAddr(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("holding a port: %v", err)
	}
	defer busy.Close()
	w, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), ControlAddr: busy.Addr().String()})
	if err == nil {
		w.Close()
		t.Fatal("Start on a busy control address succeeded")
	}
	if !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("error %q does not name the busy address %s", err, busy.Addr())
	}
}

// TestCloudRunCountsPerServiceAndRevision: the platform counts the
// cockpit's probes on the runtime service under its serving revision, a
// set-env redeploy makes the next revision serve, and the control plane's
// writes land on runtime-writes under the revision of the runtime that
// answered, which is what rust_write_share reads.
func TestCloudRunCountsPerServiceAndRevision(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{})
	rust, _ := w.RuntimeURLs("staging")
	prom := promAPI(t, w.PrometheusURL("staging"))
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatalf("loading the generated config: %v", err)
	}
	share := cfg.Environments["staging"].Signals["rust_write_share"].Query
	revisions := func(selector string) []string {
		vec, err := instant(t.Context(), prom, `count by (revision_name) (run_googleapis_com:request_count{`+selector+`})`, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return labelValues(vec, "revision_name")
	}
	revisionName := regexp.MustCompile(`^runtime-0000([12])-[a-z]{3}$`)
	probeRevision := func(want string) string {
		var got string
		eventually(t, time.Minute, "a /healthz probe counted on revision "+want, func() (bool, string) {
			call(t, http.MethodGet, rust+"/healthz", nil, nil)
			for _, r := range revisions(`service_name="runtime",response_code="200",response_code_class="2xx"`) {
				if m := revisionName.FindStringSubmatch(r); m != nil && m[1] == want {
					got = r
					return true, r
				}
			}
			return false, strings.Join(revisions(`service_name="runtime"`), " ")
		})
		return got
	}
	first := probeRevision("1")
	eventually(t, time.Minute, "legacy writes on runtime-writes, none on rust, share 0", func() (bool, string) {
		revs := revisions(`service_name="runtime-writes"`)
		v, seen, ok := scalarOf(t.Context(), prom, share)
		return slices.Equal(revs, []string{"runtime-writes-legacy-00001"}) && ok && v == 0, strings.Join(revs, " ") + " share " + seen
	})

	mustControl(t, w, "staging", "set-env", map[string]string{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})
	if second := probeRevision("2"); second[:len("runtime-00002")] != "runtime-00002" || second == first {
		t.Errorf("revision after a redeploy = %s, want runtime-00002-… (was %s)", second, first)
	}
	mustControl(t, w, "staging", "route-writes", map[string]string{"target": "rust"})
	eventually(t, 2*time.Minute, "rust_write_share reaches 1 after route-writes rust", func() (bool, string) {
		v, seen, ok := scalarOf(t.Context(), prom, share)
		return ok && v > 0.99, seen
	})
	if revs := revisions(`service_name="runtime-writes"`); !slices.Equal(revs, []string{"runtime-writes-legacy-00001", "runtime-writes-rust-00001"}) {
		t.Errorf("runtime-writes revisions = %v, want the legacy and the rust one", revs)
	}
}

// The cockpit's S3 names the report it wants ({{.Report}}), as the real
// harness's --output does: the world writes exactly there, and refuses a
// path outside the environment's reports directory.
func TestParityRunWritesTheNamedReportInsideTheReportsDir(t *testing.T) {
	w := startWorld(t, sandbox.Options{})
	dir := filepath.Join(w.Dir(), "reports", "staging")
	want := filepath.Join(dir, "parity-staging-run-1.json")
	r := control(t, w, "staging", "parity-run", map[string]any{"output": want})
	if r.status != http.StatusOK || !strings.Contains(r.body, want) {
		t.Fatalf("parity-run --output: %d %s", r.status, r.body)
	}
	if b, err := os.ReadFile(want); err != nil || !strings.Contains(string(b), `"decision": "allow"`) {
		t.Fatalf("the named report: %v\n%s", err, b)
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "x.json"), filepath.Join(dir, "..", "production", "x.json")} {
		if r := control(t, w, "staging", "parity-run", map[string]any{"output": bad}); r.status < 400 || r.status >= 500 {
			t.Errorf("parity-run --output %s: %d %s, want a refusal", bad, r.status, r.body)
		}
	}
}

// A second world on a directory a live one holds would rewrite its config
// and secret under it: it is refused, naming the first.
func TestASecondWorldCannotTakeALiveWorldsDir(t *testing.T) {
	dir := t.TempDir()
	startWorld(t, sandbox.Options{Dir: dir})
	_, err := sandbox.Start(t.Context(), sandbox.Options{Dir: dir, RedeployDelay: testRedeployDelay})
	if err == nil || !strings.Contains(err.Error(), "belongs to a running rehearsal world") {
		t.Fatalf("second world on %s: %v, want a refusal naming the first", dir, err)
	}
}

// A world in its own temporary dir keeps the operator's journal and
// artifacts when it closes, and nothing else.
func TestATemporaryWorldKeepsTheOperatorsState(t *testing.T) {
	w, err := sandbox.Start(t.Context(), sandbox.Options{RedeployDelay: testRedeployDelay})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(w.Dir(), "state", "staging")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "journal.jsonl"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(w.Dir()) })
	if kept := w.KeptState(); kept != filepath.Join(w.Dir(), "state") {
		t.Fatalf("kept %q", kept)
	}
	if _, err := os.Stat(filepath.Join(state, "journal.jsonl")); err != nil {
		t.Errorf("the journal is gone: %v", err)
	}
	if _, err := os.Stat(w.ConfigPath); !os.IsNotExist(err) {
		t.Errorf("the world's own files stay: %v", err)
	}
}
