package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox"
)

// headlessStartBudget bounds the wait for `rehearse --headless` to print
// its config: a world that never starts fails, one that starts slowly on
// a machine busy with the rest of the suite does not.
const headlessStartBudget = time.Minute

// TestRehearseBinary runs the built binary as scripts and operators do.
func TestRehearseBinary(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"headless serves the world and stops on SIGINT", testHeadless},
		{"bad input", testRehearseBadInput},
	})
}

// process is the binary running in its own process group, so the test
// can tell whether anything it started is left behind.
type process struct {
	cmd    *exec.Cmd
	stderr *testsvc.LockedBuffer // written by exec while the test may read it
	lines  chan string
	done   chan struct{}
	err    error // valid once done is closed
}

func startProcess(t testing.TB, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin = strings.NewReader("") // not a terminal
	p := &process{cmd: cmd, stderr: &testsvc.LockedBuffer{}, lines: make(chan string, 64), done: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing the test if the process outlives d.
func (p *process) wait(t testing.TB, d time.Duration) int {
	t.Helper()
	for range p.lines { // drain what is left so Wait can finish
	}
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("%v still running after %s", p.cmd.Args, d)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%v: %v", p.cmd.Args, p.err)
	}
	return 0
}

// assertNothingLeft proves the process and every process of its group are gone.
func (p *process) assertNothingLeft(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has processes after exit (kill 0: %v)", p.cmd.Process.Pid, err)
	}
}

// runProcess runs the binary to completion and returns its exit code and stderr.
func runProcess(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	p := startProcess(t, bin, args...)
	code := p.wait(t, 30*time.Second)
	p.assertNothingLeft(t)
	return code, p.stderr.String()
}

func testHeadless(t *testing.T, bin string) {
	// A busy staging: every signal answers within promtoolAnswers' budget
	// (the default quiet staging writes once in 20s).
	p := startProcess(t, bin, "rehearse", "--headless", "--dir", t.TempDir(), "--redeploy-delay", "200ms", "--staging-writes-per-second", "40")
	urls := map[string]string{}
	var configPath string
	deadline := time.After(headlessStartBudget)
	for configPath == "" || len(urls) < 1+len(sandbox.Environments) {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("rehearse --headless exited before printing its config; stderr: %s", p.stderr)
			}
			key, value, _ := strings.Cut(line, ": ")
			if key == "config" {
				configPath = value
			} else {
				urls[key] = value
			}
		case <-deadline:
			t.Fatalf("no `config: PATH` line within %s; stderr: %s", headlessStartBudget, p.stderr)
		}
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		t.Fatalf("the printed config does not load: %v", err)
	}
	for _, env := range sandbox.Environments {
		e := cfg.Environments[env]
		if e == nil {
			t.Fatalf("the printed config has no %s environment", env)
		}
		urls[env+" rust"], urls[env+" legacy"] = e.RustRuntime.URL, e.LegacyRuntime.URL
		if e.Prometheus.URL != urls[env+" prometheus"] {
			t.Errorf("%s prometheus printed %s, config says %s", env, urls[env+" prometheus"], e.Prometheus.URL)
		}
	}

	t.Run("every configured query answers through promtool", func(t *testing.T) {
		promtool := toolBinary(t, "promtool", "promtool", "apt-get install -y prometheus")
		// Before the cutover no Rust revision has served a write and nothing
		// has failed, so the Rust error ratio and the failure and drift
		// counters have no series yet, as in production, and the lag
		// summary never fills: they must run, and the signals that
		// describe the world as it is must answer.
		answers := []string{"legacy_write_error_rate", "legacy_http_5xx_ratio", "rust_write_share", "frozen_write_refusals", "misrouted_writes"}
		for _, env := range sandbox.Environments {
			e := cfg.Environments[env]
			for _, q := range signalQueries(e.Signals) {
				promtoolRuns(t, promtool, e.Prometheus.URL, q)
			}
			for _, name := range answers {
				promtoolAnswers(t, promtool, e.Prometheus.URL, e.Signals[name].Query)
			}
		}
	})

	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("sending SIGINT: %v", err)
	}
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("rehearse --headless exited %d on SIGINT, want 0; stderr: %s", code, p.stderr)
	}
	p.assertNothingLeft(t)
	for name, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s URL %q: %v", name, raw, err)
		}
		if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s (%s) still accepts connections after the world stopped", name, u.Host)
		}
	}
}

// signalQueries are every query and volume query of the signals, sorted.
func signalQueries(signals map[string]*config.Signal) []string {
	var qs []string
	for _, s := range signals {
		for _, q := range []string{s.Query, s.VolumeQuery} {
			if q != "" && !slices.Contains(qs, q) {
				qs = append(qs, q)
			}
		}
	}
	slices.Sort(qs)
	return qs
}

// promtoolRuns runs a query once: it must parse and evaluate without error.
func promtoolRuns(t *testing.T, promtool, server, query string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, promtool, "query", "instant", server, query).CombinedOutput(); err != nil {
		t.Errorf("promtool query instant %s %q: %v\n%s", server, query, err, out)
	}
}

// promtoolAnswers polls `promtool query instant` until the query returns
// at least one sample: the first scrapes and rate windows take a few seconds.
func promtoolAnswers(t *testing.T, promtool, server, query string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		out, err := exec.CommandContext(ctx, promtool, "query", "instant", server, query).CombinedOutput()
		cancel()
		if err == nil && strings.Contains(string(out), "=>") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("promtool query instant %s %q gave no data: err %v, output %q", server, query, err, out)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func testRehearseBadInput(t *testing.T, bin string) {
	w, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), RedeployDelay: 200 * time.Millisecond,
		Scenarios: []string{sandbox.FaultActuatorFailure}})
	if err != nil {
		t.Fatalf("starting a world for ctl: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("holding a port: %v", err)
	}
	t.Cleanup(func() { busy.Close() })
	ctl := func(args ...string) []string {
		return append([]string{"rehearse", "ctl", "--config", w.ConfigPath, "--env", "staging"}, args...)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantLine string
	}{
		{"unknown scenario", []string{"rehearse", "--headless", "--scenario", "meteor"}, exitUsage, `--scenario: unknown fault "meteor"`},
		{"silent staging", []string{"rehearse", "--headless", "--staging-writes-per-second", "0"}, exitUsage, "--staging-writes-per-second must be above 0"},
		{"unknown fault", ctl("fault", "meteor", "on"), exitUsage, `unknown fault "meteor"`},
		{"set-env without =", ctl("set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE"), exitUsage, `set-env: "RUNTIME_AUTHORITY_WRITE_MODE" is not KEY=VALUE`},
		{"missing config", []string{"rehearse", "ctl", "--config", filepath.Join(t.TempDir(), "nope.yaml"), "state"}, exitUsage, "nope.yaml"},
		{"busy control port", []string{"rehearse", "--headless", "--dir", t.TempDir(), "--control-addr", busy.Addr().String()}, exitActionFailed, busy.Addr().String()},
		{"no terminal", []string{"rehearse"}, exitUsage, "needs a terminal"},
		{"failing actuator", ctl("set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"), exitActionFailed, "deployment failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runProcess(t, bin, tt.args...)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "cockpit: ") || !strings.Contains(lines[0], tt.wantLine) {
				t.Errorf("stderr = %q, want one line `cockpit: …` naming %q", stderr, tt.wantLine)
			}
		})
	}
	if st := w.State()["staging"]; st.RustWriteMode != "shadow_only" {
		t.Errorf("rust_write_mode = %q after refused and failed controls, want shadow_only", st.RustWriteMode)
	}
}

// TestCtlStateReportsEveryEnvironment applies a few controls with `ctl`
// and reads them back from `ctl state`, field by field as scripts see them.
func TestCtlStateReportsEveryEnvironment(t *testing.T) {
	t.Parallel()
	w, err := sandbox.Start(t.Context(), sandbox.Options{Dir: t.TempDir(), RedeployDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("starting the world: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	ctl := func(env string, args ...string) {
		t.Helper()
		argv := append([]string{"rehearse", "ctl", "--config", w.ConfigPath, "--env", env}, args...)
		if code, _, stderr := runCockpit(t, argv...); code != 0 {
			t.Fatalf("%v: exit %d: %s", argv, code, stderr)
		}
	}
	ctl("staging", "set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active")
	ctl("staging", "route-writes", "rust")
	ctl("staging", "fault", sandbox.FaultDrift, "on")
	ctl("production", "cohort", "25")

	code, stdout, stderr := runCockpit(t, "rehearse", "ctl", "--config", w.ConfigPath, "state")
	if code != 0 {
		t.Fatalf("ctl state: exit %d: %s", code, stderr)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("ctl state is not JSON: %v\n%s", err, stdout)
	}
	fields := []string{"rust_write_mode", "legacy_write_freeze", "write_target", "cohort_percent", "faults", "controls"}
	for _, env := range sandbox.Environments {
		for _, f := range fields {
			if _, ok := raw[env][f]; !ok {
				t.Errorf("ctl state %s has no %s:\n%s", env, f, stdout)
			}
		}
	}
	var st map[string]sandbox.EnvState
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("decoding ctl state: %v", err)
	}
	s, p := st["staging"], st["production"]
	if s.RustWriteMode != "rust_active" || s.LegacyWriteFreeze || s.WriteTarget != "rust" || s.CohortPercent != 100 ||
		!slices.Equal(s.Faults, []string{sandbox.FaultDrift}) {
		t.Errorf("staging state = %+v, want rust_active, not frozen, target rust at 100%%, faults [drift]", s)
	}
	if got := controlNames(s.Controls); !slices.Equal(got, []string{"set-env rust RUNTIME_AUTHORITY_WRITE_MODE=rust_active", "route-writes rust"}) {
		t.Errorf("staging controls = %q, want the set-env then the route-writes, in order", got)
	}
	if p.RustWriteMode != "shadow_only" || p.WriteTarget != "split" || p.CohortPercent != 25 || len(p.Faults) != 0 {
		t.Errorf("production state = %+v, want shadow_only, split at 25%%, no faults", p)
	}
	if got := controlNames(p.Controls); !slices.Equal(got, []string{"cohort 25"}) {
		t.Errorf("production controls = %q, want [cohort 25]", got)
	}
}

// controlNames are the applied controls that succeeded, in order; a failed
// one shows as "FAILED <control>".
func controlNames(cs []sandbox.AppliedControl) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Control
		if !c.OK {
			out[i] = "FAILED " + c.Control
		}
	}
	return out
}
