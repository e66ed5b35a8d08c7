package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

// guardVerbConfig is a config whose state lives in the test's directory.
func guardVerbConfig(t *testing.T) (path, stateDir string) {
	t.Helper()
	stateDir = t.TempDir()
	path = writeShowConfig(t, "state_dir: "+stateDir+"\n"+`environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9"}
    rust_runtime: {url: "http://127.0.0.1:9"}
    legacy_runtime: {url: "http://127.0.0.1:9"}
    guard: {mode: countdown, countdown: 10s}
`)
	return path, stateDir
}

func TestGuardRefusesBadUsage(t *testing.T) {
	t.Parallel()
	path, _ := guardVerbConfig(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"guard", "--config", path, "-o", "yaml"}, `-o "yaml" is not an output format`},
		{[]string{"guard", "cancel", "--config", path}, "guard cancel needs --reason"},
		{[]string{"guard", "cancel", "--config", path, "--reason", "  "}, "guard cancel needs --reason"},
		{[]string{"guard", "--config", path, "--metrics-addr", "127.0.0.1:99999"}, "--metrics-addr: serving metrics:"},
	} {
		_, errOut, code := runCLI(t, false, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %d with %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// TestGuardCancelWithNoGuardSaysSo: a cancel no guard answers is still
// journaled, and the operator is told nobody acted on it (exit 5).
func TestGuardCancelWithNoGuardSaysSo(t *testing.T) {
	t.Parallel()
	path, stateDir := guardVerbConfig(t)
	out, errOut, code := runCLI(t, false, "guard", "cancel", "--config", path, "--reason", "false alarm")
	if code != exitActionFailed || !strings.Contains(errOut, "no guard answered within") {
		t.Errorf("cancel with no guard: exit %d %q, want 5 saying no guard answered", code, errOut)
	}
	if !strings.Contains(out, "cancel journaled by") {
		t.Errorf("cancel printed %q, want it journaled", out)
	}
	recs, err := journal.Read(journal.Path(stateDir, "staging"))
	if err != nil || len(recs) != 1 || recs[0].Kind != journal.KindGuard || recs[0].Verdict != guardCancel || recs[0].Reason != "false alarm" {
		t.Errorf("journal = %+v (%v), want the cancel with its reason", recs, err)
	}
}

// TestGuardStatusReadsTheNewestGuard: status's guard is off with no
// guard, the newest state of a live one (a countdown with what is left),
// and off once it stopped or its process is gone.
func TestGuardStatusReadsTheNewestGuard(t *testing.T) {
	t.Parallel()
	path, stateDir := guardVerbConfig(t)
	cfg, err := config.Load(path)
	must(t, err)
	env := cfg.Environments["staging"]
	now := time.Now()
	if gs := guardStatusOf(cfg, env, now); gs.State != "off" || gs.Mode != config.GuardCountdown || gs.Countdown != "10s" {
		t.Errorf("no guard: %+v, want off, countdown 10s", gs)
	}
	j, err := journal.Open(journal.Path(stateDir, "staging"))
	must(t, err)
	defer func() { _ = j.Close() }()
	host, _ := os.Hostname()
	j.SetDefaults("staging", "alice", host, cfg.Hash)
	must(t, j.Append(journal.Record{Time: now.Add(-time.Minute), Kind: journal.KindGuard, PID: os.Getpid(), Verdict: guardStarted}))
	if gs := guardStatusOf(cfg, env, now); gs.State != "idle" || !strings.Contains(gs.Process, "alice@") {
		t.Errorf("a guard started: %+v, want idle with its process", gs)
	}
	must(t, j.Append(journal.Record{Time: now.Add(-3 * time.Second), Kind: journal.KindGuard, PID: os.Getpid(), Verdict: "countdown",
		Check: "I2 write_error_spike", Message: "I2 write error spike firing 40s: rollback in 0:10 — press c to cancel"}))
	must(t, j.Append(journal.Record{Time: now, Kind: journal.KindGuard, Verdict: guardCancel, Operator: "bob", Reason: "why"}))
	gs := guardStatusOf(cfg, env, now)
	if gs.State != "countdown" || gs.RemainingSeconds != 7 || gs.Criterion != "I2 write_error_spike" {
		t.Errorf("a guard counting down: %+v, want countdown with 7s left (a cancel request is no state)", gs)
	}
	must(t, j.Append(journal.Record{Time: now, Kind: journal.KindGuard, PID: 1 << 30, Verdict: "holding"}))
	if gs := guardStatusOf(cfg, env, now); gs.State != "off" || !strings.Contains(gs.Process, "(gone)") {
		t.Errorf("a guard whose process is gone: %+v, want off, gone", gs)
	}
	must(t, j.Append(journal.Record{Time: now, Kind: journal.KindGuard, PID: os.Getpid(), Verdict: guardStopped}))
	if gs := guardStatusOf(cfg, env, now); gs.State != "off" {
		t.Errorf("a guard stopped: %+v, want off", gs)
	}
}

func TestTheExampleCountsDownOnI2InStaging(t *testing.T) {
	t.Parallel()
	g := exampleConfigParsed(t).Environments["staging"].Guard
	if g.Mode != config.GuardCountdown || g.Countdown.D() != 2*time.Minute || strings.Join(g.Criteria, ",") != "I2" {
		t.Errorf("the example's staging guard = %+v", g)
	}
	if p := exampleConfigParsed(t).Environments["production"].Guard; p.Mode != config.GuardAdvise {
		t.Errorf("the example's production guard = %+v, want the default advise", p)
	}
}
