package runbook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// requestCounter counts the requests that reached one runtime, by method.
type requestCounter struct {
	mu    sync.Mutex
	byKey map[string]int // "POST /internal/v1/…"
}

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.byKey == nil {
			c.byKey = map[string]int{}
		}
		c.byKey[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// count is how many requests used method (all when "").
func (c *requestCounter) count(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.byKey {
		if method == "" || strings.HasPrefix(k, method+" ") {
			n += v
		}
	}
	return n
}

func (c *requestCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for k, v := range c.byKey {
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(strings.Repeat("|", min(v, 40)))
		b.WriteString(" ")
	}
	return b.String()
}

func countedServer(t *testing.T, h http.Handler) (string, *requestCounter) {
	t.Helper()
	c := &requestCounter{}
	srv := httptest.NewServer(c.wrap(h))
	t.Cleanup(srv.Close)
	return srv.URL, c
}

func clock(at time.Time) (*time.Time, func() time.Time) {
	var mu sync.Mutex
	now := at
	return &now, func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
}

func TestReadOnlyEngineSendsNoWriteAndShowsTheJournaledFreeze(t *testing.T) {
	rs, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := legacysim.New(legacysim.Options{Env: map[string]string{legacysim.EnvFreeze: "true", legacysim.EnvSecret: "test-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	// The watcher and the operator reach the same runtimes through
	// servers of their own, so each one's requests are counted apart.
	watchRust, watchRustN := countedServer(t, rs.Handler())
	watchLegacy, watchLegacyN := countedServer(t, ls.Handler())
	opRust, opRustN := countedServer(t, rs.Handler())
	opLegacy, opLegacyN := countedServer(t, ls.Handler())
	down := httptest.NewServer(nil)
	down.Close()
	state := t.TempDir()

	now, tick := clock(time.Now())
	watcher, err := NewEngine(testConfig(t, down.URL, watchRust, watchLegacy, state, false), "staging",
		EngineOptions{LookupEnv: secretEnv("test-secret"), Now: tick, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}

	// Nobody operates: the freeze is UNKNOWN, and the watcher did not ask.
	st := watcher.Observe(context.Background())
	if lf := st.Observed.LegacyFreeze; lf.Verdict != checks.Unknown {
		t.Fatalf("legacy freeze with nothing journaled = %+v, want UNKNOWN", lf)
	}
	v2, _ := st.Item("V2")
	if v2.Verdict != checks.Unknown || !strings.Contains(v2.Checks[0].Evidence.Reason, "no operating process") {
		t.Errorf("V2 with nothing journaled = %v %q, want UNKNOWN saying no operating process probed", v2.Verdict, v2.Checks[0].Evidence.Reason)
	}
	// The Rust mode and writer flag still come from /healthz.
	if m := st.Observed.RustWriteMode; m.Evidence.Value != "rust_active" || m.Verdict != checks.Pass {
		t.Errorf("rust mode in read-only = %+v, want rust_active from /healthz", m)
	}

	// An operator's engine probes and journals each answer.
	j, err := journal.Open(journal.Path(state, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.SetDefaults("staging", "alice", "ops-host", "")
	operator, err := NewEngine(testConfig(t, down.URL, opRust, opLegacy, state, false), "staging",
		EngineOptions{LookupEnv: secretEnv("test-secret"), Now: tick, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	operator.Observe(context.Background())
	if opRustN.count(http.MethodPost) != 1 || opLegacyN.count(http.MethodPost) != 1 {
		t.Fatalf("the operator's probes: rust %s legacy %s, want one POST each", opRustN, opLegacyN)
	}

	*now = now.Add(2 * time.Second)
	st = watcher.Observe(context.Background())
	lf := st.Observed.LegacyFreeze
	if lf.Verdict != checks.Pass || lf.Evidence.Value != "frozen" {
		t.Fatalf("legacy freeze from the journal = %+v, want PASS frozen", lf)
	}
	v2, _ = st.Item("V2")
	line := v2.Checks[0].Line(st.At)
	if v2.Verdict != checks.Pass || !strings.Contains(line, "journal probe.legacy_frozen") ||
		!strings.Contains(line, "alice@ops-host") || !strings.Contains(line, "410 write_path_frozen") || !strings.Contains(line, "age 2s") {
		t.Errorf("V2 from the journal = %v %q, want PASS naming the journal, the prober, the probe's answer and its age", v2.Verdict, line)
	}
	if w := st.Writers; w.Rust != checks.Accepting || w.Legacy != checks.Frozen {
		t.Errorf("writers in read-only = %+v, want rust accepting (healthz / journal), legacy frozen (journal)", w)
	}

	// The operator stops; past stale_after the watcher says UNKNOWN, never PASS.
	*now = now.Add(11 * time.Second)
	st = watcher.Observe(context.Background())
	v2, _ = st.Item("V2")
	if v2.Verdict != checks.Unknown || !strings.Contains(v2.Checks[0].Evidence.Reason, "stale") {
		t.Errorf("V2 from a stale journal record = %v %q, want UNKNOWN stale", v2.Verdict, v2.Checks[0].Evidence.Reason)
	}

	for name, c := range map[string]*requestCounter{"rust": watchRustN, "legacy": watchLegacyN} {
		if n := c.count(http.MethodPost); n != 0 {
			t.Errorf("the read-only engine sent %d POSTs to %s: %s", n, name, c)
		}
		if c.count(http.MethodGet) == 0 {
			t.Errorf("the read-only engine never read %s", name)
		}
	}
}

// A side whose probe could not tell is probed again at the normal period,
// alone: the side that answered keeps its answer until its own period ends.
// Answers are journaled when they change, and again at half stale_after.
func TestOperatingEngineReprobesEachSideAtItsOwnPeriod(t *testing.T) {
	rs, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"}})
	if err != nil {
		t.Fatal(err)
	}
	rustURL, rustN := countedServer(t, rs.Handler())
	// A legacy runtime that answers every write with a 502 from a proxy.
	legURL, legN := countedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok","service":"runtime","version":"1"}`))
	}))
	down := httptest.NewServer(nil)
	down.Close()
	state := t.TempDir()
	j, err := journal.Open(journal.Path(state, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now, tick := clock(time.Now())
	cfg := testConfig(t, down.URL, rustURL, legURL, state, false) // refresh 3s, stale_after 10s: period 5s
	e, err := NewEngine(cfg, "staging", EngineOptions{LookupEnv: secretEnv("test-secret"), Now: tick, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	period := freezeProbeEvery(cfg.Refresh.D(), cfg.StaleAfter.D())
	for range 3 {
		e.Observe(context.Background())
		*now = now.Add(time.Second)
	}
	if r, l := rustN.count(http.MethodPost), legN.count(http.MethodPost); r != 1 || l != 1 {
		t.Fatalf("three rounds within the period sent rust %d, legacy %d POSTs; want 1 each (an unknown side is not retried every tick)", r, l)
	}
	*now = now.Add(period)
	e.Observe(context.Background())
	if r, l := rustN.count(http.MethodPost), legN.count(http.MethodPost); r != 2 || l != 2 {
		t.Fatalf("after the period: rust %d, legacy %d POSTs; want 2 each", r, l)
	}
	// An action's post-verification still probes both now.
	e.Observe(withFreshProbes(context.Background()))
	if r, l := rustN.count(http.MethodPost), legN.count(http.MethodPost); r != 3 || l != 3 {
		t.Fatalf("a fresh round: rust %d, legacy %d POSTs; want 3 each", r, l)
	}

	recs, err := journal.Read(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	probes := map[string][]string{}
	for _, r := range recs {
		if strings.HasPrefix(r.Check, "probe.") {
			probes[r.Check] = append(probes[r.Check], r.Verdict)
		}
	}
	// Each side: its first answer, then once more after half stale_after
	// (5s), not on every probe.
	if got := strings.Join(probes[probeRustFrozen], ","); got != "accepting,accepting" {
		t.Errorf("journaled rust probe answers %q, want accepting twice (first, then refreshed at half stale_after)", got)
	}
	if got := strings.Join(probes[probeLegacyFrozen], ","); got != "unknown,unknown" {
		t.Errorf("journaled legacy probe answers %q, want unknown twice", got)
	}
}
