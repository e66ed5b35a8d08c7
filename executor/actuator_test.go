package executor

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// script writes an executable shell script into dir and returns its path.
// The actuator itself never uses a shell; the scripts stand in for gcloud.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func action(argv ...string) *config.Action {
	return &config.Action{Argv: argv, Timeout: config.Duration(10 * time.Second)}
}

func TestActuatorRunsRenderedArgvWithoutAShell(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	bin := script(t, dir, "set-mode", `printf '%s|%s' "$1" "$2" > "`+out+`"`)
	call, err := ResolveCall("set_rust_write_mode",
		action(bin, "RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}", "$(touch "+dir+"/pwned) {{.Env}}"),
		config.WriteModeValues{Env: "staging", Mode: "shadow_only"}, "freeze rust")
	if err != nil {
		t.Fatal(err)
	}
	r := Actuator{}.Run(t.Context(), call)
	if !r.OK() {
		t.Fatalf("run: %s (output %q)", r.Summary(), r.Output)
	}
	got, _ := os.ReadFile(out)
	if want := "RUNTIME_AUTHORITY_WRITE_MODE=shadow_only|$(touch " + dir + "/pwned) staging"; string(got) != want {
		t.Errorf("actuator saw %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("an argument was interpreted by a shell")
	}
}

func TestResolveCallRefusesValuesOutsideTheirClosedSet(t *testing.T) {
	t.Parallel()
	_, err := ResolveCall("set_rust_write_mode", action("x", "{{.Mode}}"),
		config.WriteModeValues{Env: "staging", Mode: "rust_active; rm -rf /"}, "")
	if err == nil || !strings.Contains(err.Error(), "is not one of") {
		t.Errorf("bad mode: got %v", err)
	}
	_, err = ResolveCall("set_cohort", action("x", "{{.Percent}}"), config.CohortValues{Percent: 101}, "")
	if err == nil {
		t.Error("cohort 101% was accepted")
	}
	_, err = ResolveCall("route_writes", action("x", "{{.Revision}}"), config.RouteValues{Target: "rust"}, "")
	if err == nil {
		t.Error("an unknown template field rendered")
	}
	_, err = ResolveCall("set_cohort", nil, config.CohortValues{Percent: 5}, "")
	if err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("missing actuator: got %v", err)
	}
}

func TestActuatorKeepsTheOutputTailOfAFailedCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := script(t, dir, "fail", `i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo "ERROR: permission denied" >&2; exit 3`)
	call, err := ResolveCall("route_writes", action(bin), config.RouteValues{Target: "rust"}, "")
	if err != nil {
		t.Fatal(err)
	}
	r := Actuator{}.Run(t.Context(), call)
	if r.OK() || r.ExitCode != 3 {
		t.Fatalf("want exit 3, got %s", r.Summary())
	}
	if len(r.Output) > outputTail || !strings.HasSuffix(r.Output, "ERROR: permission denied\n") || strings.Contains(r.Output, "line 0\n") {
		t.Errorf("output tail (%d bytes) does not end with the error or kept the head: %q", len(r.Output), r.Output[max(0, len(r.Output)-80):])
	}
}

func TestActuatorKillsAHungProcessGroupAtItsTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	// The grandchild ignores SIGTERM: only the SIGKILL to the group stops it.
	bin := script(t, dir, "hang", `(trap '' TERM; sleep 60) & echo $! > "`+pids+`"; echo started; sleep 60`)
	call, err := ResolveCall("set_legacy_freeze", &config.Action{Argv: []string{bin}, Timeout: config.Duration(300 * time.Millisecond)},
		config.FreezeValues{Freeze: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	// The kill is due after 300ms + killGrace; without it the group lives
	// for 60s. A deadline far above the first and below the second fails
	// only on a kill that never came, not on a slow machine under -race.
	done := make(chan ActionResult, 1)
	go func() { done <- Actuator{}.Run(t.Context(), call) }()
	var r ActionResult
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the hung process group was not killed within 30s of its 300ms timeout")
	}
	if !r.TimedOut || r.OK() {
		t.Fatalf("want a timeout, got %s", r.Summary())
	}
	if !strings.Contains(r.Output, "started") {
		t.Errorf("output before the kill was lost: %q", r.Output)
	}
	b, _ := os.ReadFile(pids)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("grandchild pid: %q", b)
	}
	deadline := time.Now().Add(30 * time.Second) // SIGKILL is at once; a busy machine reaps late
	for syscall.Kill(pid, 0) == nil && !isZombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isZombie reports a dead process not yet reaped by its (re)parent.
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestActuatorHTTPCallSendsRenderedBodyAndHeaders(t *testing.T) {
	t.Parallel()
	var gotBody, gotAuth, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotAuth, gotPath = string(b), r.Header.Get("Authorization"), r.URL.Path
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("queued"))
	}))
	defer srv.Close()
	a := &config.Action{Timeout: config.Duration(5 * time.Second), HTTP: &config.HTTPAction{
		Method: "post", URL: srv.URL + "/envs/{{.Env}}/cohort", Body: `{"percent":{{.Percent}}}`,
		Headers: map[string]string{"Authorization": "Bearer s3cret"}}}
	call, err := ResolveCall("set_cohort", a, config.CohortValues{Env: "production", Percent: 25}, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(call.Show(), "s3cret") || call.Show() != "POST "+srv.URL+"/envs/production/cohort" {
		t.Errorf("shown call %q", call.Show())
	}
	r := Actuator{HTTPClient: srv.Client()}.Run(t.Context(), call)
	if !r.OK() || r.HTTPStatus != 202 || r.Output != "queued" {
		t.Fatalf("http action: %s %q", r.Summary(), r.Output)
	}
	if gotBody != `{"percent":25}` || gotAuth != "Bearer s3cret" || gotPath != "/envs/production/cohort" {
		t.Errorf("server saw body %q auth %q path %q", gotBody, gotAuth, gotPath)
	}
}

// TestActuatorGivesSecretsInItsEnvironmentNotItsArgv: an action's env
// reaches the command beside the cockpit's own environment, and appears
// neither in its argv (what ps shows every user) nor in what the plan,
// the confirm dialog and the journal print (Show, the JSON of the call).
func TestActuatorGivesSecretsInItsEnvironmentNotItsArgv(t *testing.T) {
	t.Setenv("COCKPIT_TEST_INHERITED", "kept")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	bin := script(t, dir, "set-mode", `printf '%s|%s|%s' "$TOKEN" "$COCKPIT_TEST_INHERITED" "$*" > "`+out+`"`)
	a := action(bin, "{{.Mode}}")
	a.Env = map[string]string{"TOKEN": "tok-s3cr3t"}
	call, err := ResolveCall("set_rust_write_mode", a, config.WriteModeValues{Env: "staging", Mode: "rust_active"}, "")
	if err != nil {
		t.Fatal(err)
	}
	shown, _ := json.Marshal(call)
	if strings.Contains(call.Show(), "tok-s3cr3t") || strings.Contains(string(shown), "tok-s3cr3t") {
		t.Errorf("the call shows the secret: %s / %s", call.Show(), shown)
	}
	if r := (Actuator{}).Run(t.Context(), call); !r.OK() {
		t.Fatalf("run: %s", r.Summary())
	}
	if got, _ := os.ReadFile(out); string(got) != "tok-s3cr3t|kept|rust_active" {
		t.Errorf("the command saw %q, want the secret in its environment, the inherited variable kept, and only the mode as argument", got)
	}
}
