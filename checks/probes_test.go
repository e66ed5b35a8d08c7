package checks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/legacyauth"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

const testSecret = "probe-test-secret"

// world is one simulated Rust runtime and one simulated legacy runtime.
type world struct {
	rust   *rustsim.Runtime
	legacy *legacysim.Runtime
	env    *config.Environment
}

func newWorld(t *testing.T, rustMode string, legacyFrozen bool) *world {
	t.Helper()
	rust, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": rustMode}})
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := legacysim.New(legacysim.Options{Env: map[string]string{
		"LEGACY_RUNTIME_WRITE_FREEZE": map[bool]string{true: "true", false: "false"}[legacyFrozen],
		"RUNTIME_SIGNATURE_SECRET":    testSecret,
	}})
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(rust.Handler())
	ls := httptest.NewServer(legacy.Handler())
	t.Cleanup(rs.Close)
	t.Cleanup(ls.Close)
	env := &config.Environment{
		Name:        "staging",
		RustRuntime: config.RustRuntime{URL: rs.URL},
		LegacyRuntime: config.LegacyRuntime{URL: ls.URL, SignatureSecretEnv: "RUNTIME_SIGNATURE_SECRET",
			FreezeProbe: config.FreezeProbe{Path: "/internal/v1/codex/workers", Body: `{}`}},
		WriteProbe: config.WriteProbe{Source: "cockpit-write-probe", WorkerID: "cockpit:write-probe"},
	}
	return &world{rust: rust, legacy: legacy, env: env}
}

func (w *world) probes(secret string) *Probes {
	return NewProbes(w.env, &http.Client{}, []byte(secret), time.Now)
}

func TestRustHealthReadsTheModeAndAFrozenRuntimeIsStillReady(t *testing.T) {
	w := newWorld(t, "shadow_only", true)
	p := w.probes(testSecret)
	h, r := p.RustHealth(context.Background())
	if r.Verdict != Pass || h.Mode != "shadow_only" || h.WriterActive {
		t.Fatalf("health %+v %s, want PASS mode shadow_only writer inactive (%s)", h, r.Verdict, r.Line(time.Now()))
	}
	if !strings.Contains(r.Evidence.Value, "mode=shadow_only") {
		t.Errorf("evidence %q does not show the mode", r.Evidence.Value)
	}
	if r := p.RustReadiness(context.Background()); r.Verdict != Pass {
		t.Fatalf("a frozen runtime is ready: got %s (%s)", r.Verdict, r.Line(time.Now()))
	}
}

func TestRustReadinessDownFails(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.rust.SetFaults(rustsim.Faults{NotReady: true})
	r := w.probes(testSecret).RustReadiness(context.Background())
	if r.Verdict != Fail || !strings.Contains(r.Evidence.Value, "503 not_ready") {
		t.Fatalf("readiness down: %s %q, want FAIL 503 not_ready", r.Verdict, r.Evidence.Value)
	}
}

func TestRustFrozenTellsBothStatesApartAndWritesNothing(t *testing.T) {
	for _, c := range []struct {
		mode string
		want FreezeState
		text string
	}{
		{"rust_active", Accepting, "404 not_found"},
		{"shadow_only", Frozen, "mode shadow_only"},
		{"read_only", Frozen, "mode read_only"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			w := newWorld(t, c.mode, true)
			state, r := w.probes(testSecret).RustFrozen(context.Background())
			if state != c.want || r.Verdict != Pass || !strings.Contains(r.Evidence.Value, c.text) {
				t.Fatalf("mode %s: %s %s %q, want %s containing %q", c.mode, state, r.Verdict, r.Evidence.Value, c.want, c.text)
			}
		})
	}
}

func TestRustFrozenOnAWrongBaseURLIsUnknown(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.env.RustRuntime.URL += "/api" // unknown path: 404 with an empty body
	state, r := w.probes(testSecret).RustFrozen(context.Background())
	if state != FreezeUnknown || r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "rust_runtime.url") {
		t.Fatalf("wrong base URL: %s %s (%s), want UNKNOWN naming rust_runtime.url", state, r.Verdict, r.Line(time.Now()))
	}
}

func TestLegacyProbesAreSignedAndTellFrozenFromAccepting(t *testing.T) {
	for _, frozen := range []bool{true, false} {
		w := newWorld(t, "rust_active", frozen)
		p := w.probes(testSecret)
		if r := p.LegacyHealth(context.Background()); r.Verdict != Pass {
			t.Fatalf("signed legacy health: %s (%s)", r.Verdict, r.Line(time.Now()))
		}
		want := map[bool]FreezeState{true: Frozen, false: Accepting}[frozen]
		state, r := p.LegacyFrozen(context.Background())
		if state != want || r.Verdict != Pass {
			t.Fatalf("frozen=%t: %s %s (%s), want %s", frozen, state, r.Verdict, r.Line(time.Now()), want)
		}
		if n := w.legacy.Writes(); n != 0 {
			t.Fatalf("frozen=%t: the freeze probe wrote %d times", frozen, n)
		}
	}
}

func TestLegacyWrongSecretIsUnknownAndNamesTheFix(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	p := w.probes("not-the-secret")
	r := p.LegacyHealth(context.Background())
	if r.Verdict != Unknown || r.Evidence.Reason != "signature rejected: check RUNTIME_SIGNATURE_SECRET" {
		t.Fatalf("wrong secret: %s %q", r.Verdict, r.Evidence.Reason)
	}
	state, r := p.LegacyFrozen(context.Background())
	if state != FreezeUnknown || r.Verdict != Unknown {
		t.Fatalf("wrong secret freeze probe: %s %s, want unknown: a 401 says nothing about the freeze", state, r.Verdict)
	}
	if strings.Contains(r.Line(time.Now()), "not-the-secret") {
		t.Fatal("the secret appears in evidence")
	}
	if r := w.probes("").LegacyHealth(context.Background()); r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "set RUNTIME_SIGNATURE_SECRET") {
		t.Fatalf("no secret: %s %q", r.Verdict, r.Evidence.Reason)
	}
}

func TestLegacyFreezeProbeThatWritesFailsLoudly(t *testing.T) {
	w := newWorld(t, "rust_active", false)
	w.env.LegacyRuntime.FreezeProbe.Body = `{"worker_id":"oops"}` // passes validation: it writes
	state, r := w.probes(testSecret).LegacyFrozen(context.Background())
	if state != FreezeUnknown || r.Verdict != Fail || !strings.Contains(r.Evidence.Reason, "WROTE") {
		t.Fatalf("a freeze probe that writes: %s %s %q, want FAIL", state, r.Verdict, r.Evidence.Reason)
	}
}

func TestLegacyUnhealthyFails(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.legacy.SetFaults(legacysim.Faults{NotReady: true})
	r := w.probes(testSecret).LegacyHealth(context.Background())
	if r.Verdict != Fail || r.Evidence.Value != "503 status=degraded" {
		t.Fatalf("degraded legacy: %s %q", r.Verdict, r.Evidence.Value)
	}
}

func TestProbeOfADeadRuntimeIsUnknownWithinTheTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a runtime that never answers
	}))
	t.Cleanup(hang.Close)
	p := NewProbes(&config.Environment{RustRuntime: config.RustRuntime{URL: hang.URL}}, &http.Client{}, nil, time.Now)
	p.Timeout = 100 * time.Millisecond
	start := time.Now()
	_, r := p.RustHealth(context.Background())
	if r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "no answer") {
		t.Fatalf("hung runtime: %s %q", r.Verdict, r.Evidence.Reason)
	}
	// The runtime never answers: without the timeout the probe would wait
	// for ever; the bound is a deadline, far from the timeout, not a race.
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("probe took %s despite a 100ms timeout", d)
	}
}

func TestUnexpectedAnswerShowsStatusAndABoundedExcerpt(t *testing.T) {
	// A proxy's HTML error page: no runtime answers like this, so it is faked.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>" + strings.Repeat("bad gateway ", 100) + "</html>"))
	}))
	t.Cleanup(proxy.Close)
	p := NewProbes(&config.Environment{RustRuntime: config.RustRuntime{URL: proxy.URL}}, &http.Client{}, nil, time.Now)
	r := p.RustReadiness(context.Background())
	if r.Verdict != Unknown || !strings.HasPrefix(r.Evidence.Value, "502 <html>bad gateway") || len(r.Evidence.Value) > 4+maxExcerpt+len("…") {
		t.Fatalf("proxy error: %s %q (%d bytes)", r.Verdict, r.Evidence.Value, len(r.Evidence.Value))
	}
}

func TestLegacyFreezeProbeWithMalformedBodyIsRefusedBeforeSending(t *testing.T) {
	w := newWorld(t, "rust_active", true)
	w.env.LegacyRuntime.FreezeProbe.Body = `{"worker_id":`
	state, r := w.probes(testSecret).LegacyFrozen(context.Background())
	if state != FreezeUnknown || r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "not valid JSON") {
		t.Fatalf("malformed probe body: %s %s %q; the parser refuses it before the freeze check", state, r.Verdict, r.Evidence.Reason)
	}
}

// recorder wraps a runtime's handler and keeps every request's path and headers.
type recorder struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (rec *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Clone(context.Background()))
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (rec *recorder) requests() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.seen)
}

// behindGateway puts both runtimes of w behind recorders that refuse any
// request lacking the gateway key and the identity token, as an
// authenticating Cloud Run service or gateway would.
func behindGateway(t *testing.T, w *world, rustToken, legacyToken string) (rust, legacy *recorder) {
	t.Helper()
	gate := func(key, token string, h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Gateway-Key") != key || r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(rw, "forbidden by the gateway", http.StatusForbidden)
				return
			}
			h.ServeHTTP(rw, r)
		})
	}
	rust, legacy = &recorder{}, &recorder{}
	rs := httptest.NewServer(rust.wrap(gate("rust-key", rustToken, w.rust.Handler())))
	ls := httptest.NewServer(legacy.wrap(gate("legacy-key", legacyToken, w.legacy.Handler())))
	t.Cleanup(rs.Close)
	t.Cleanup(ls.Close)
	dir := t.TempDir()
	w.env.RustRuntime.URL = rs.URL
	w.env.RustRuntime.Headers = map[string]string{"X-Gateway-Key": "rust-key"}
	w.env.RustRuntime.IDTokenFile = filepath.Join(dir, "rust-token")
	w.env.LegacyRuntime.URL = ls.URL
	w.env.LegacyRuntime.Headers = map[string]string{"X-Gateway-Key": "legacy-key"}
	w.env.LegacyRuntime.IDTokenFile = filepath.Join(dir, "legacy-token")
	must(t, os.WriteFile(w.env.RustRuntime.IDTokenFile, []byte("  "+rustToken+"\n"), 0o600))
	must(t, os.WriteFile(w.env.LegacyRuntime.IDTokenFile, []byte(legacyToken+"\n"), 0o600))
	return rust, legacy
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestEveryProbeCarriesItsRuntimesHeadersAndIDToken(t *testing.T) {
	w := newWorld(t, "rust_active", false)
	rustSeen, legacySeen := behindGateway(t, w, "rust-id-token", "legacy-id-token")
	p := w.probes(testSecret)
	ctx := context.Background()
	if _, r := p.RustHealth(ctx); r.Verdict != Pass {
		t.Fatalf("rust health behind the gateway: %s", r.Line(time.Now()))
	}
	if r := p.RustReadiness(ctx); r.Verdict != Pass {
		t.Fatalf("rust readiness behind the gateway: %s", r.Line(time.Now()))
	}
	if state, r := p.RustFrozen(ctx); state != Accepting {
		t.Fatalf("rust freeze probe behind the gateway: %s", r.Line(time.Now()))
	}
	if rep, results := writer(p).WriteProbe(ctx); !rep.OK {
		t.Fatalf("write probe behind the gateway: %+v %v", rep, results)
	}
	if r := p.LegacyHealth(ctx); r.Verdict != Pass {
		t.Fatalf("legacy health behind the gateway (signed on top): %s", r.Line(time.Now()))
	}
	if state, r := p.LegacyFrozen(ctx); state != Accepting {
		t.Fatalf("legacy freeze probe behind the gateway: %s", r.Line(time.Now()))
	}
	// Each runtime gets its own key and token, never the other's.
	if n := len(rustSeen.requests()); n < 4 {
		t.Fatalf("rust saw %d requests", n)
	}
	for _, r := range rustSeen.requests() {
		if r.Header.Get("Authorization") != "Bearer rust-id-token" || r.Header.Get("X-Gateway-Key") != "rust-key" || r.Header.Get(legacyauth.Header) != "" {
			t.Errorf("rust request %s %s headers %v", r.Method, r.URL.Path, r.Header)
		}
	}
	for _, r := range legacySeen.requests() {
		if r.Header.Get("Authorization") != "Bearer legacy-id-token" || r.Header.Get("X-Gateway-Key") != "legacy-key" || r.Header.Get(legacyauth.Header) == "" {
			t.Errorf("legacy request %s %s headers %v", r.Method, r.URL.Path, r.Header)
		}
	}
}

func TestIDTokenFileIsReadAgainForEachRequest(t *testing.T) {
	w := newWorld(t, "rust_active", false)
	rustSeen, _ := behindGateway(t, w, "first-token", "legacy-token")
	p := w.probes(testSecret)
	if _, r := p.RustHealth(context.Background()); r.Verdict != Pass {
		t.Fatalf("first token: %s", r.Line(time.Now()))
	}
	must(t, os.WriteFile(w.env.RustRuntime.IDTokenFile, []byte("second-token"), 0o600))
	if _, r := p.RustHealth(context.Background()); r.Verdict != Unknown || !strings.Contains(r.Evidence.Value, "403") {
		t.Fatalf("a rotated token was not sent: %s", r.Line(time.Now()))
	}
	reqs := rustSeen.requests()
	if got := reqs[len(reqs)-1].Header.Get("Authorization"); got != "Bearer second-token" {
		t.Fatalf("second request sent %q, want the rotated token", got)
	}
}

func TestConfiguredProbePathsAreTheOnesAsked(t *testing.T) {
	w := newWorld(t, "shadow_only", true)
	// Behind Cloud Run, /healthz and /readyz may never reach the container:
	// a proxy route maps other paths onto them.
	mux := http.NewServeMux()
	mux.Handle("/ops/health", http.StripPrefix("/ops", rewrite("/healthz", w.rust.Handler())))
	mux.Handle("/ops/ready", http.StripPrefix("/ops", rewrite("/readyz", w.rust.Handler())))
	mux.Handle("/legacy/health", rewrite("/internal/v1/health", w.legacy.Handler()))
	rec := &recorder{}
	srv := httptest.NewServer(rec.wrap(mux))
	t.Cleanup(srv.Close)
	w.env.RustRuntime = config.RustRuntime{URL: srv.URL, HealthPath: "/ops/health", ReadyPath: "/ops/ready"}
	w.env.LegacyRuntime.URL = srv.URL
	w.env.LegacyRuntime.HealthPath = "/legacy/health"
	p := w.probes(testSecret)
	h, r := p.RustHealth(context.Background())
	if r.Verdict != Pass || h.Mode != "shadow_only" || !strings.HasSuffix(r.Evidence.Source, "/ops/health") {
		t.Fatalf("configured health path: %s", r.Line(time.Now()))
	}
	if r := p.RustReadiness(context.Background()); r.Verdict != Pass {
		t.Fatalf("configured ready path: %s", r.Line(time.Now()))
	}
	if r := p.LegacyHealth(context.Background()); r.Verdict != Pass {
		t.Fatalf("configured legacy health path: %s", r.Line(time.Now()))
	}
	var paths []string
	for _, r := range rec.requests() {
		paths = append(paths, r.URL.Path)
	}
	if want := []string{"/ops/health", "/ops/ready", "/legacy/health"}; !slices.Equal(paths, want) {
		t.Fatalf("paths asked %v, want %v", paths, want)
	}
}

// rewrite serves h as if the request had asked path.
func rewrite(path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = path
		h.ServeHTTP(w, r2)
	})
}

func TestDefaultHealthPathHiddenByCloudRunNamesTheSetting(t *testing.T) {
	// Cloud Run's own 404 page for a reserved path: faked, no runtime sends it.
	gfe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><title>Error 404 (Not Found)!!1</title></html>"))
	}))
	t.Cleanup(gfe.Close)
	p := NewProbes(&config.Environment{RustRuntime: config.RustRuntime{URL: gfe.URL}}, &http.Client{}, nil, time.Now)
	_, r := p.RustHealth(context.Background())
	if r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "set rust_runtime.health_path") {
		t.Fatalf("hidden /healthz: %s %q", r.Verdict, r.Evidence.Reason)
	}
	if r := p.RustReadiness(context.Background()); r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "set rust_runtime.ready_path") {
		t.Fatalf("hidden /readyz: %s %q", r.Verdict, r.Evidence.Reason)
	}
}

func TestUnreadableIDTokenFileIsUnknownNamingTheFileAndSendsNothing(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge")
	must(t, os.WriteFile(huge, bytes.Repeat([]byte("a"), maxIDToken+1), 0o600))
	empty := filepath.Join(dir, "empty")
	must(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	twoLines := filepath.Join(dir, "two-lines")
	must(t, os.WriteFile(twoLines, []byte("secret-part-one\nsecret-part-two\n"), 0o600))
	fifo := filepath.Join(dir, "fifo") // nothing writes it: a plain open would block forever
	must(t, syscall.Mkfifo(fifo, 0o600))
	for _, c := range []struct{ name, file, why string }{
		{"missing", filepath.Join(dir, "absent"), "no such file or directory"},
		{"directory", dir, "is a directory"},
		{"huge", huge, "larger than 64 KiB"},
		{"empty", empty, "the file is empty"},
		{"two lines", twoLines, "more than one line"},
		{"named pipe", fifo, "is a named pipe, not a regular file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, "rust_active", false)
			rustSeen, legacySeen := behindGateway(t, w, "tok", "tok")
			w.env.RustRuntime.IDTokenFile = c.file
			w.env.LegacyRuntime.IDTokenFile = c.file
			p := w.probes(testSecret)
			_, health := p.RustHealth(context.Background())
			state, frozen := p.RustFrozen(context.Background())
			legacy := p.LegacyHealth(context.Background())
			if state != FreezeUnknown {
				t.Errorf("freeze state %s without a token, want unknown", state)
			}
			for key, r := range map[string]Result{"rust_runtime": health, "rust_runtime ": frozen, "legacy_runtime": legacy} {
				want := "cannot read " + strings.TrimSpace(key) + ".id_token_file " + c.file + ": " + c.why
				if r.Verdict != Unknown || !strings.HasPrefix(r.Evidence.Reason, want) {
					t.Errorf("%s: %s %q, want UNKNOWN starting %q", r.ID, r.Verdict, r.Evidence.Reason, want)
				}
				if line := r.Line(time.Now()); strings.Contains(line, "secret-part") || strings.Contains(line, "aaaa") {
					t.Errorf("the token file's content is shown: %s", line)
				}
			}
			if n := len(rustSeen.requests()) + len(legacySeen.requests()); n != 0 {
				t.Errorf("%d requests sent without the token", n)
			}
		})
	}
}
