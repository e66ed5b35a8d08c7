package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
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
	if d := time.Since(start); d > 2*time.Second {
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
