package runbook

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox"
)

// countingProxy is a reverse proxy in front of one runtime of the world that
// counts what reached it: the world's own Cloud Run request_count counts
// every client, its traffic generator included.
func countingProxy(t *testing.T, target string) (string, *requestCounter) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return countedServer(t, httputil.NewSingleHostReverseProxy(u))
}

// watch for 30 s against the rehearsal world, as `cockpit watch` does (one
// round per refresh, each under the screen's round timeout), while an
// operating engine probes through proxies of its own: not one request of
// the watcher reaches a mutation route of either runtime, and it still
// shows the legacy freeze, from the operator's journaled answers.
func TestWatchSendsNoPOSTToEitherRuntimeOfTheRehearsalWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("watches the rehearsal world for 30s")
	}
	w, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), RedeployDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("starting the world: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	rust, legacy := w.RuntimeURLs("staging")

	load := func(rustVia, legacyVia string) *config.Config {
		cfg, err := config.Load(w.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		env := cfg.Environments["staging"]
		env.RustRuntime.URL, env.LegacyRuntime.URL = rustVia, legacyVia
		return cfg
	}
	watchRust, watchRustN := countingProxy(t, rust)
	watchLegacy, watchLegacyN := countingProxy(t, legacy)
	opRust, opRustN := countingProxy(t, rust)
	opLegacy, opLegacyN := countingProxy(t, legacy)

	cfg := load(watchRust, watchLegacy)
	watcher, err := NewEngine(cfg, "staging", EngineOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	opCfg := load(opRust, opLegacy)
	j, err := journal.Open(journal.Path(opCfg.StateDir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	operator, err := NewEngine(opCfg, "staging", EngineOptions{Journal: j})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opDone := make(chan struct{})
	go func() { // the operator's screen, started a few seconds later
		defer close(opDone)
		select {
		case <-time.After(3 * time.Second):
		case <-ctx.Done():
			return
		}
		for ctx.Err() == nil {
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			operator.Observe(rctx)
			rcancel()
			select {
			case <-time.After(cfg.Refresh.D()):
			case <-ctx.Done():
			}
		}
	}()

	roundTimeout := max(cfg.Refresh.D(), cfg.QueryTimeout.D()+time.Second)
	var last State
	rounds := 0
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); rounds++ {
		rctx, rcancel := context.WithTimeout(t.Context(), roundTimeout)
		last = watcher.Observe(rctx)
		rcancel()
		time.Sleep(cfg.Refresh.D())
	}
	cancel()
	<-opDone

	for name, c := range map[string]*requestCounter{"runtime (rust)": watchRustN, "runtime-legacy": watchLegacyN} {
		t.Logf("watcher → %s: %d requests, %d POST: %s", name, c.count(""), c.count(http.MethodPost), c)
		if n := c.count(http.MethodPost); n != 0 {
			t.Errorf("watch sent %d POSTs to %s in %d rounds: %s", n, name, rounds, c)
		}
		if c.count(http.MethodGet) < rounds/2 {
			t.Errorf("watch read %s only %d times in %d rounds", name, c.count(http.MethodGet), rounds)
		}
	}
	opPosts := opRustN.count(http.MethodPost) + opLegacyN.count(http.MethodPost)
	t.Logf("operator → runtimes: %d safe frozen probe POSTs in ~27s (rust %s; legacy %s)", opPosts, opRustN, opLegacyN)
	if opPosts == 0 {
		t.Fatal("the operating engine sent no probe: the proxies count nothing")
	}
	if lf := last.Observed.LegacyFreeze; lf.Verdict != checks.Pass || lf.Evidence.Value == "" {
		t.Errorf("the watcher's legacy freeze at the end = %+v, want the operator's journaled answer", lf)
	}
	v2, _ := last.Item("V2")
	t.Logf("watcher V2: %s", v2.Checks[0].Line(last.At))
}
