package runbook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// world is the two simulated runtimes on loopback, and a Prometheus address
// that refuses connections (a Prometheus outage).
type world struct {
	rust    *rustsim.Runtime
	legacy  *legacysim.Runtime
	rustURL string
	legURL  string
	promURL string
}

func newWorld(t *testing.T, rustMode, legacyFreeze string) world {
	t.Helper()
	rs, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": rustMode}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := legacysim.New(legacysim.Options{Env: map[string]string{
		legacysim.EnvFreeze: legacyFreeze, legacysim.EnvSecret: "test-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	rsrv := httptest.NewServer(rs.Handler())
	lsrv := httptest.NewServer(ls.Handler())
	down := httptest.NewServer(nil)
	down.Close()
	t.Cleanup(rsrv.Close)
	t.Cleanup(lsrv.Close)
	return world{rust: rs, legacy: ls, rustURL: rsrv.URL, legURL: lsrv.URL, promURL: down.URL}
}

func secretEnv(secret string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if name == "TEST_SECRET" && secret != "" {
			return secret, true
		}
		return "", false
	}
}

func TestObserveReadsTheRuntimesThemselves(t *testing.T) {
	w := newWorld(t, "rust_active", "true")
	cfg := testConfig(t, w.promURL, w.rustURL, w.legURL, t.TempDir(), false)
	now := time.Now()
	e, err := NewEngine(cfg, "", EngineOptions{LookupEnv: secretEnv("test-secret"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	st := e.Observe(context.Background())
	if st.Observed.RustWriteMode.Evidence.Value != "rust_active" || st.Observed.LegacyFreeze.Evidence.Value != "frozen" {
		t.Fatalf("observed = mode %q legacy %q, want rust_active / frozen",
			st.Observed.RustWriteMode.Evidence.Value, st.Observed.LegacyFreeze.Evidence.Value)
	}
	got := verdicts(st)
	if got["V2"] != checks.Pass {
		t.Errorf("V2 = %v, want PASS from the safe probe", got["V2"])
	}
	// V1's safe half passes; V1 itself waits for a journaled write probe.
	if g := e.Gates(st, "V1"); len(g) != 1 || g[0].Verdict != checks.Pass || got["V1"] != checks.Fail {
		t.Errorf("V1 = %v with gate %+v, want FAIL (no write probe journaled) behind a PASS safe-probe gate", got["V1"], g)
	}
	// Prometheus is down: the write target cannot be told, so S1 holds.
	if got["S1"] != checks.Unknown || got["V4"] != checks.Unknown {
		t.Errorf("S1 = %v, V4 = %v with Prometheus down, want UNKNOWN", got["S1"], got["V4"])
	}
	if got["P4"] != checks.Unknown {
		t.Errorf("P4 without a database = %v, want UNKNOWN", got["P4"])
	}
	p4, _ := st.Item("P4")
	if !strings.Contains(p4.Checks[0].Evidence.Reason, "set DB_URL") {
		t.Errorf("P4 reason = %q, want it to name DB_URL", p4.Checks[0].Evidence.Reason)
	}

	// A rollback, done by someone else, is seen once the frozen probes run again.
	if err := w.rust.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "shadow_only"}); err != nil {
		t.Fatal(err)
	}
	w.legacy.SetEnv(legacysim.EnvFreeze, "false")
	now = now.Add(maxFreezeProbeEvery)
	got = verdicts(e.Observe(context.Background()))
	if got["R1"] != checks.Pass || got["R2"] != checks.Pass || got["V1"] != checks.Fail || got["V2"] != checks.Fail {
		t.Errorf("after a rollback: R1 %v R2 %v V1 %v V2 %v, want PASS PASS FAIL FAIL", got["R1"], got["R2"], got["V1"], got["V2"])
	}
}

func TestMissingSecretIsUnknownOnEveryLegacyCheckNotACrash(t *testing.T) {
	w := newWorld(t, "rust_active", "true")
	cfg := testConfig(t, w.promURL, w.rustURL, w.legURL, t.TempDir(), false)
	e, err := NewEngine(cfg, "staging", EngineOptions{LookupEnv: secretEnv("")})
	if err != nil {
		t.Fatal(err)
	}
	st := e.Observe(context.Background())
	v2, _ := st.Item("V2")
	if v2.Verdict != checks.Unknown || !strings.Contains(v2.Checks[0].Line(st.At), "TEST_SECRET") {
		t.Errorf("V2 without the secret = %v %q, want UNKNOWN naming the variable", v2.Verdict, v2.Checks[0].Line(st.At))
	}
	if st.Health[2].Verdict != checks.Unknown {
		t.Errorf("legacy health without the secret = %v, want UNKNOWN", st.Health[2].Verdict)
	}
	if st.Observed.LegacyFreeze.Verdict != checks.Unknown {
		t.Errorf("legacy freeze header = %+v, want UNKNOWN", st.Observed.LegacyFreeze)
	}
}

func TestVerdictChangesAreJournaledOnceWithoutSecrets(t *testing.T) {
	w := newWorld(t, "rust_active", "true")
	dir := t.TempDir()
	cfg := testConfig(t, w.promURL, w.rustURL, w.legURL, dir, false)
	j, err := journal.Open(journal.Path(dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	e, err := NewEngine(cfg, "staging", EngineOptions{Journal: j, LookupEnv: secretEnv("test-secret"), Now: clock,
		DBURL: "postgres://cockpit:hunter2@127.0.0.1:1/db?connect_timeout=1"})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(context.Background())
	e.Observe(context.Background())
	w.legacy.SetEnv(legacysim.EnvFreeze, "false")
	e.Observe(context.Background())
	// The frozen probes run at most every maxFreezeProbeEvery while watching: the
	// change shows once that interval has passed.
	now = now.Add(maxFreezeProbeEvery)
	e.Observe(context.Background())
	_ = j.Close()

	recs, err := journal.Read(journal.Path(dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range recs {
		if r.Kind != journal.KindVerdict {
			t.Errorf("engine journaled a %q record", r.Kind)
		}
		count[r.Check]++
		for _, leak := range []string{"hunter2", "test-secret"} {
			if strings.Contains(r.Evidence, leak) {
				t.Errorf("journal evidence leaks %q: %s", leak, r.Evidence)
			}
		}
	}
	if count["P1"] != 1 {
		t.Errorf("P1 journaled %d times over three unchanged rounds, want 1", count["P1"])
	}
	// What the screen said, changes only: S1 never ran, so it is NOT RUN
	// (not FAIL), and V2 awaits S1 through every round (its verdict
	// changed under it, the word on the screen did not).
	if count["W exactly_one_writer"] != 2 {
		t.Errorf("the writers check journaled %d times, want 2 (ok, then firing when legacy unfroze)", count["W exactly_one_writer"])
	}
	shown := map[string]string{}
	for _, r := range recs {
		shown[r.Check] = r.Verdict
	}
	if shown["S1"] != "NOT RUN" || shown["V2"] != "AWAITS S1" || count["V2"] != 1 {
		t.Errorf("journaled S1 %q and V2 %q (%d times), want NOT RUN and AWAITS S1 once: what the screen said", shown["S1"], shown["V2"], count["V2"])
	}
}

func TestObserveRunsEverythingConcurrently(t *testing.T) {
	w := newWorld(t, "rust_active", "true")
	cfg := testConfig(t, w.promURL, w.rustURL, w.legURL, t.TempDir(), false)
	// Accepts, never answers in time: a hung legacy node. It counts how many
	// of its requests are in flight at once: run one after the other, the
	// two legacy probes would never overlap.
	var inFlight, most atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		hang().ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	cfg.Environments["staging"].LegacyRuntime.URL = slow.URL
	e, err := NewEngine(cfg, "staging", EngineOptions{LookupEnv: secretEnv("test-secret")})
	if err != nil {
		t.Fatal(err)
	}
	st := e.Observe(context.Background())
	if got := most.Load(); got < 2 {
		t.Errorf("at most %d legacy probe(s) in flight at once, want the health and frozen probes together", got)
	}
	if st.Health[2].Verdict != checks.Unknown {
		t.Errorf("hung legacy health = %v, want UNKNOWN", st.Health[2].Verdict)
	}
}
