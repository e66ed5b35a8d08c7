package checks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// hostileText retitles the window, clears the screen and returns to column
// 0 to print a passing P1 over whatever the cockpit wrote.
const hostileText = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"

// assertScreenSafe fails when any of the result's evidence could command a
// terminal or break its line.
func assertScreenSafe(t *testing.T, what string, r Result) {
	t.Helper()
	for _, s := range []string{r.Evidence.Source, r.Evidence.Value, r.Evidence.Rule, r.Evidence.Reason, r.Line(time.Now())} {
		if strings.ContainsAny(s, "\x1b\x07\r\n") || strings.ContainsRune(s, '\u009b') {
			t.Errorf("%s: evidence reaches the screen raw: %q", what, s)
		}
	}
}

func TestHostileParityReportIsCleanedOnLoad(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	esc, _ := json.Marshal(hostileText)
	gate := `{"decision":"block","reason":` + string(esc) + `}`
	diff := `{"severity":"critical","field":` + string(esc) + `,"legacy":` + string(esc) + `,"rust":{"x":` + string(esc) + `},"message":` + string(esc) + `}`
	body := report(now.Add(-time.Minute), diff, `{"critical":1,"warning":0}`, gate)
	body = strings.Replace(body, `"legacy_run_id":"r1"`, `"legacy_run_id":`+string(esc), 1)
	dir := t.TempDir()
	write(t, dir, "a.json", body)

	pr := ReadParity(dir+"/*.json", 10*time.Minute, cutover, now)
	if pr.Gate.Verdict != Fail {
		t.Fatalf("P1 = %s (%s), want FAIL", pr.Gate.Verdict, pr.Gate.Line(now))
	}
	for _, r := range []Result{pr.Gate, pr.NoCritical, pr.WithinThresholds} {
		assertScreenSafe(t, r.ID, r)
	}
	if !strings.Contains(pr.Gate.Evidence.Value, "decision=block (…⏎P1 PASS)") {
		t.Errorf("the reason is shown as data: %q", pr.Gate.Evidence.Value)
	}
	rep := pr.Report
	for _, s := range []string{rep.Gate.Reason, rep.LegacyRunID, rep.Diffs[0].Field, string(rep.Diffs[0].Legacy), string(rep.Diffs[0].Rust), rep.Diffs[0].Message} {
		if strings.ContainsAny(s, "\x1b\x07\r") {
			t.Errorf("the report's consumers get raw text: %q", s)
		}
	}
}

func TestHostileRuntimeBodiesAreCleaned(t *testing.T) {
	esc, _ := json.Marshal(hostileText)
	rust := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte(`{"status":"ok","authority_write_mode":` + string(esc) + `,"build_sha":` + string(esc) + `}`))
		case "/readyz":
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("<html>" + hostileText + "\u009b2J</html>"))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"write_path_frozen","message":` + string(esc) + `}`))
		}
	}))
	t.Cleanup(rust.Close)
	env := &config.Environment{Name: "staging", RustRuntime: config.RustRuntime{URL: rust.URL}}
	p := NewProbes(env, rust.Client(), nil, time.Now)

	h, r := p.RustHealth(context.Background())
	if r.Verdict != Pass {
		t.Fatalf("health = %s (%s)", r.Verdict, r.Line(time.Now()))
	}
	assertScreenSafe(t, "healthz", r)
	if strings.ContainsAny(h.Mode+h.BuildSHA, "\x1b\x07\r") {
		t.Errorf("the mode reaches its consumers raw: %q %q", h.Mode, h.BuildSHA)
	}
	if !strings.Contains(r.Evidence.Value, "mode=…⏎P1 PASS") {
		t.Errorf("the mode is shown as data: %q", r.Evidence.Value)
	}
	assertScreenSafe(t, "readyz excerpt", p.RustReadiness(context.Background()))
	_, frozen := p.RustFrozen(context.Background())
	assertScreenSafe(t, "freeze probe", frozen)
}

func TestBodyExcerptIsOneBoundedSafeLine(t *testing.T) {
	got := bodyExcerpt([]byte(strings.Repeat(hostileText+"\n", 100)))
	if strings.ContainsAny(got, "\x1b\x07\r\n") || len([]rune(got)) > maxExcerpt {
		t.Errorf("bodyExcerpt = %q", got)
	}
	if got := bodyExcerpt([]byte("\x1b[2J\x07")); got != "(empty body)" {
		t.Errorf("a body of nothing but controls = %q", got)
	}
}
