package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/promstore"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// readWorld is what the read-only verbs observe in tests: the simulated
// runtimes and the embedded Prometheus (real PromQL), each on loopback.
type readWorld struct {
	rustMode     string
	legacyFreeze string
	// Signal values, as constant PromQL vectors the real engine evaluates.
	errorRate float64
	// A signal query that returns no series, for preflight.
	emptyQuery bool
	// The write share returns no series: the write target is unknown.
	noShare bool
	// Parity report decision; "" writes no report.
	parity string
	// afterS1 journals S1 and S2 done even when the runtimes no longer show
	// it (Rust frozen again): the checklist applies, and fails.
	afterS1 bool
}

func (w readWorld) configFile(t *testing.T) string {
	t.Helper()
	rs, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": w.rustMode}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := legacysim.New(legacysim.Options{Env: map[string]string{
		legacysim.EnvFreeze: w.legacyFreeze, legacysim.EnvSecret: "cmd-test-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := promstore.Open(promstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	servers := []*httptest.Server{httptest.NewServer(rs.Handler()), httptest.NewServer(ls.Handler()), httptest.NewServer(store.Handler())}
	for _, s := range servers {
		t.Cleanup(s.Close)
	}

	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	must(t, os.WriteFile(secret, []byte("cmd-test-secret\n"), 0o600))
	reports := filepath.Join(dir, "reports")
	must(t, os.MkdirAll(reports, 0o700))
	if w.parity != "" {
		crit := 0
		if w.parity == "block" {
			crit = 1
		}
		report := fmt.Sprintf(`{"schema":"openagents.runtime.shadow_parity.v1","generated_at":%q,
"legacy_run_id":"r1","rust_run_id":"r1","diffs":[%s],"totals":{"critical":%d,"warning":0},
"gate":{"decision":%q,"reason":"test"}}`, time.Now().UTC().Format(time.RFC3339Nano),
			map[bool]string{true: `{"severity":"critical","field":"run_id","legacy":"a","rust":"b","message":"differs"}`}[crit == 1],
			crit, w.parity)
		must(t, os.WriteFile(filepath.Join(reports, "parity-report.json"), []byte(report), 0o600))
	}
	lag, share := "vector(1)", "vector(1)"
	if w.emptyQuery {
		lag = "absent(vector(1))"
	}
	if w.noShare {
		share = "absent(vector(1))"
	}
	// The signals are constant vectors, so their history shows them held
	// for the whole sparkline window: 1m keeps the 5m incident timers
	// provably pending, as a breach that started a minute ago would be.
	// query_timeout 5s: this world answers from the -race test process,
	// which a busy machine slows; a test of the deadline sets its own.
	cfg := fmt.Sprintf(`state_dir: %s
refresh: 6s
query_timeout: 5s
sparkline_window: 1m
environments:
  staging:
    prometheus: {url: %q}
    rust_runtime: {url: %q}
    legacy_runtime: {url: %q, signature_secret_file: %q}
    database: {url_env: COCKPIT_CMD_TEST_UNSET_DB_URL}
    parity: {reports: %q}
signals:
  rust_write_error_rate: {query: "vector(%v)", volume_query: "vector(100)"}
  legacy_write_error_rate: {query: "vector(0)", volume_query: "vector(100)"}
  legacy_http_5xx_ratio: {query: "vector(0)"}
  rust_write_share: {query: %q}
  frozen_write_refusals: {query: "vector(0)"}
  misrouted_writes: {query: "vector(0)"}
  projection_lag: {query: %q, required: true}
  projection_write_failure_ratio: {query: "vector(0)"}
  drift_events: {query: "vector(0)"}
  hash_mismatch_drift: {query: "vector(0)"}
  replay_failures: {query: "vector(0)"}
`, dir, servers[2].URL, servers[0].URL, servers[1].URL, secret, filepath.Join(reports, "*.json"),
		w.errorRate, share, lag)
	path := filepath.Join(dir, "config.yaml")
	must(t, os.WriteFile(path, []byte(cfg), 0o600))
	if w.rustMode == "rust_active" || w.afterS1 {
		journalS1AndS2(t, dir)
	}
	return path
}

// journalS1AndS2 writes what S1 and S2 journal: the mode change, then a
// write probe that passed (V1 and S2 need one after the last mode change).
func journalS1AndS2(t *testing.T, stateDir string) {
	t.Helper()
	j, err := journal.Open(journal.Path(stateDir, "staging"))
	must(t, err)
	defer j.Close()
	ok, at := true, time.Now().Add(-time.Minute)
	for _, r := range []journal.Record{
		{Time: at, Kind: journal.KindIntent, Step: "S1", Check: "set_rust_write_mode=rust_active", Argv: []string{"gcloud"}},
		{Time: at, Kind: journal.KindOutcome, Step: "S1", OK: &ok},
		{Time: at.Add(time.Second), Kind: journal.KindOutcome, Step: "S2", Check: "write_probe", OK: &ok},
	} {
		must(t, j.Append(r))
	}
}

// healthy is staging after S1 with every signal quiet and parity allowing.
func healthy() readWorld {
	return readWorld{rustMode: "rust_active", legacyFreeze: "true", parity: "allow"}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
