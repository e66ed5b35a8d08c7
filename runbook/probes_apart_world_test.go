package runbook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox"
)

// worldControl calls the world's control API as `rehearse ctl` does.
func worldControl(t *testing.T, w *sandbox.World, env, verb string, body map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(w.ControlURL()+"/env/"+env+"/"+verb, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("control %s %s: %v", env, verb, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s %v: %d", env, verb, body, resp.StatusCode)
	}
}

// promScalar is the single value of an instant query on the world's
// Prometheus; 0 when it has no series.
func promScalar(t *testing.T, w *sandbox.World, env, query string) float64 {
	t.Helper()
	resp, err := http.Get(w.PrometheusURL(env) + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Data.Result) > 1 {
		t.Fatalf("query %s: %v, %d series", query, err, len(out.Data.Result))
	}
	if len(out.Data.Result) == 0 {
		return 0
	}
	s, _ := out.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("query %s: value %q: %v", query, s, err)
	}
	return v
}

// Fully cut over, the cockpit probing as hard as it ever does (both safe
// frozen probes and a write probe every round) still reads the write share
// as exactly 100% rust: its probes reach the runtimes' own services, never
// runtime-writes, and the default signals count runtime-writes only. Bad
// day beside: the probes are in the request metrics, distinguishable by
// service (every refused probe to frozen legacy is a 410 on runtime-legacy,
// none on the write path), so a share counted on the runtimes' own services
// would count them.
func TestTheCockpitsOwnProbesStayOutOfTheWriteShare(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the rehearsal world for ~30s")
	}
	w, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), RedeployDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("starting the world: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	worldControl(t, w, "staging", "set-env", map[string]any{"runtime": "rust", "assignment": "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"})
	worldControl(t, w, "staging", "route-writes", map[string]any{"target": "rust"})
	worldControl(t, w, "staging", "set-env", map[string]any{"runtime": "legacy", "assignment": "LEGACY_RUNTIME_WRITE_FREEZE=true"})

	cfg := loadWorldConfig(t, w.ConfigPath)
	j, err := journal.Open(journal.Path(cfg.StateDir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	e, err := NewEngine(cfg, "staging", EngineOptions{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	// The write probe as the acting path builds it (executor.NewWriteProbe):
	// the engine holds none.
	access, err := NewRuntimeAccess(cfg, e.Env(), EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prober := checks.NewWriteProber(access.Env, access.Client, access.Secret, access.Now, access.Timeout)
	observe := func() State {
		ctx, cancel := context.WithTimeout(withFreshProbes(t.Context()), 5*time.Second)
		defer cancel()
		return e.Observe(ctx)
	}
	share := func(st State) (float64, bool) {
		s := st.Snapshot.Samples[ShareSignal]
		return s.Value, s.HasValue && s.Err == nil
	}
	// Until the share's window (10s here) lies wholly after the route.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		if v, ok := share(observe()); ok && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write share never read 100% rust after the cut-over")
		}
	}
	const legacyRefusals = `sum(run_googleapis_com:request_count{service_name="runtime-legacy",response_code="410"})`
	const writePathLegacy = `sum(run_googleapis_com:request_count{service_name="runtime-writes",revision_name=~"runtime-writes-legacy-.*"})`
	refusedBefore, writesBefore := promScalar(t, w, "staging", legacyRefusals), promScalar(t, w, "staging", writePathLegacy)

	// 40 rounds whose share was read: a round whose query missed its
	// timeout on a loaded machine reads nothing either way, and is probed
	// again, never counted (up to 120 probes in all).
	rounds := 0
	for probes := 0; rounds < 40; probes++ {
		if probes == 120 {
			t.Fatalf("only %d of %d rounds of probing read the write share", rounds, probes)
		}
		rep, _ := prober.WriteProbe(t.Context())
		e.NoteProbeRun(rep)
		v, ok := share(observe())
		switch {
		case !ok:
			continue
		case v != 1:
			t.Fatalf("round %d of probing: write share %v, want exactly 1: the probes count in it", rounds, v)
		}
		rounds++
	}
	// The refusals reach Prometheus with the world's next scrapes: wait for
	// them, then the write path has had as long to count a probe.
	refused := 0.0
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		refused = promScalar(t, w, "staging", legacyRefusals) - refusedBefore
		if refused >= float64(rounds) || time.Now().After(deadline) {
			break
		}
	}
	if refused < float64(rounds) {
		t.Errorf("runtime-legacy counted %v 410s over %d rounds of probing: the probes are not where the bad day needs them", refused, rounds)
	}
	if d := promScalar(t, w, "staging", writePathLegacy) - writesBefore; d != 0 {
		t.Errorf("runtime-writes' legacy revision counted %v requests while the cockpit probed frozen legacy: probes on the write path", d)
	}
	t.Logf("%d rounds: share 100%% rust throughout; %v refused probes on runtime-legacy, 0 on runtime-writes", rounds, refused)
}
