package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox"
	"github.com/openagents/cockpit/sandbox/rustsim"
	"github.com/openagents/cockpit/sharedlog"
)

// e2eWorld is one rehearsal world, `rehearse --headless` of the built
// binary in a process of its own (not this -race test process: a world
// slowed by the race detector would miss its query timeout on a busy
// machine, and cost the suite several times the CPU),
// driven only through the binary, as an operator or a pipeline drives it. Its
// database is a fresh PostgreSQL database with the DB role isolation
// fixtures applied under role names unique to the test (roles are
// cluster-wide, parallel tests must not share them).
type e2eWorld struct {
	t      testing.TB
	bin    string
	dir    string // the world's directory: its config, reports and state
	config string
	dbURL  string
	// env is added to every verb's environment: the values of the ${VAR}s
	// a test's config expands, given to its processes and never set in
	// the test process, so tests that need different values run in parallel.
	env map[string]string
}

// newE2EWorld starts a world whose actuators call bin. edit, when set,
// rewrites the generated config before anything reads it.
func newE2EWorld(t testing.TB, bin string, edit func(cfg string) string) *e2eWorld {
	t.Helper()
	return newE2EWorldDelay(t, bin, 300*time.Millisecond, edit)
}

// worldReadyBudget bounds the wait for a new world's checks to read PASS:
// its first scrapes, on a machine busy with the rest of the suite.
const worldReadyBudget = 2 * time.Minute

// newE2EWorldDelay is newE2EWorld whose controls each take delay, like a
// new revision: long enough to watch a step run.
func newE2EWorldDelay(t testing.TB, bin string, delay time.Duration, edit func(cfg string) string) *e2eWorld {
	t.Helper()
	return newE2EWorldOpts(t, bin, sandbox.Options{RedeployDelay: delay}, edit)
}

// newE2EWorldOpts is newE2EWorld with the world's options (its flags: instances,
// affinity, mode, version, staging traffic; its directory, executable and
// database are the test's). A quiet staging
// (StagingWritesPerSecond) is ready when its incident criteria read PASS or
// insufficient traffic, which is all a quiet write path can read.
func newE2EWorldOpts(t testing.TB, bin string, o sandbox.Options, edit func(cfg string) string) *e2eWorld {
	t.Helper()
	dbURL := testsvc.Postgres(t)
	prefix := testsvc.UniqueRolePrefix(t)
	dir := t.TempDir()
	// DB_URL set: the world's config points P4 at it (url_env: DB_URL).
	path := headlessConfig(t, startProcess(t, "env", append([]string{"DB_URL=" + dbURL, bin}, worldFlags(t, dir, o)...)...))
	e := &e2eWorld{t: t, bin: bin, dir: dir, config: path, dbURL: dbURL}

	roles := map[string]string{"owner": prefix + "owner", "runtime_rw": prefix + "rw", "khala_ro": prefix + "khala", "control_rw": prefix + "control"}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Roles are cluster-wide: each test's fixtures get names of their own.
	cfg := regexp.MustCompile(`database: \{url_env: DB_URL, roles: \{[^}]*\}\}`).ReplaceAllString(string(raw),
		"database: {url_env: DB_URL, roles: {owner: "+roles["owner"]+", runtime_rw: "+roles["runtime_rw"]+
			", khala_ro: "+roles["khala_ro"]+", control_rw: "+roles["control_rw"]+"}}")
	cfg = loadedMachineTimeouts(t, cfg)
	if edit != nil {
		cfg = edit(cfg)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	out, _, code := e.cockpitEnv(nil, "rehearse", "ctl", "db-fixtures", "--db-url", dbURL, "--variant", "good",
		"--owner-role", roles["owner"], "--runtime-rw-role", roles["runtime_rw"], "--khala-ro-role", roles["khala_ro"],
		"--control-rw-role", roles["control_rw"])
	if code != 0 {
		t.Fatalf("db-fixtures: exit %d: %s", code, out)
	}
	// The shared timeline's schema is the owner's to create (cockpit
	// timeline migrate), after the fixtures (they refuse a database not
	// theirs); the test cluster's superuser is the owner here.
	if err := sharedlog.Migrate(t.Context(), dbURL); err != nil {
		t.Fatalf("migrating the shared timeline: %v", err)
	}
	// A world just started has no scrapes yet: its checks hold (UNKNOWN)
	// until Prometheus has data, as a real one does after a restart, and
	// every step's gates hold with them (the incident criteria included).
	// Poll gently: every check probes the frozen Rust runtime with a
	// refused write (503), which the write error rate counts.
	var last string
	deadline := time.Now().Add(worldReadyBudget)
	for _, what := range []string{"preconditions", "incidents"} {
		for {
			out, errOut, code := e.cockpit("check", what, "--env", "staging")
			if code == 0 || (what == "incidents" && o.StagingWritesPerSecond > 0 && onlyInsufficient(e)) {
				break
			}
			last = out + errOut
			if time.Now().After(deadline) {
				t.Fatalf("the world's %s are not all PASS within %s:\n%s", what, worldReadyBudget, last)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return e
}

// e2eWritesPerSecond is each environment's traffic in a test's world
// unless the test sets its own: a quarter of the rehearsal's 40/s, which
// costs a quarter of the CPU (the traffic is most of a world's), with
// still 100 writes in the write share's 10s window and far more than the
// error rates' min_requests in theirs. Dozens of worlds run at once.
const e2eWritesPerSecond = 10

// worldFlags are the `rehearse --headless` flags for a world in dir with
// o's options, sandbox.Options' defaults where o leaves one unset, and
// e2eWritesPerSecond (staging as busy as production: rehearse's own
// default is a quiet staging).
func worldFlags(t testing.TB, dir string, o sandbox.Options) []string {
	t.Helper()
	if o.Dir != "" || o.Executable != "" || o.DBURLEnv != "" || o.ScrapeInterval != 0 || o.HarnessEvery != 0 ||
		o.ControlAddr != "" || o.NotifyURL != "" || len(o.Scenarios) > 0 || o.Logger != nil {
		t.Fatalf("world options %+v: only the redeploy delay, traffic and the Rust service's shape are the test's", o)
	}
	rate := func(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }
	writes := cmp.Or(o.WritesPerSecond, e2eWritesPerSecond)
	flags := []string{"rehearse", "--headless", "--dir", dir, "--redeploy-delay", cmp.Or(o.RedeployDelay, 3*time.Second).String(),
		"--writes-per-second", rate(writes), "--staging-writes-per-second", rate(cmp.Or(o.StagingWritesPerSecond, writes)),
		"--rust-instances", strconv.Itoa(max(o.RustInstances, 1)), "--rust-version", cmp.Or(o.RustVersion, rustsim.VersionS)}
	if o.RustAffinity {
		flags = append(flags, "--rust-affinity")
	}
	if o.RustModeUnset {
		flags = append(flags, "--rust-mode-unset")
	}
	return flags
}

// onlyInsufficient says whether staging's incident criteria all read PASS,
// N/A (nothing to judge yet) or UNKNOWN for insufficient traffic.
func onlyInsufficient(e *e2eWorld) bool {
	out, _, _ := e.cockpit("check", "incidents", "--env", "staging", "-o", "json")
	var rep struct {
		Checks []checkLine `json:"checks"`
	}
	if json.Unmarshal([]byte(out), &rep) != nil {
		return false
	}
	for _, c := range rep.Checks {
		if c.Verdict != "PASS" && c.Verdict != "N/A" && (c.Verdict != "UNKNOWN" || !strings.Contains(c.Evidence, "insufficient traffic")) {
			return false
		}
	}
	return len(rep.Checks) > 0
}

// rehearsalTimeouts is the rehearsal's refresh and query timeout, as
// configgen writes them: a Prometheus and runtimes that answer within
// 800ms, as a real deployment's do.
const rehearsalTimeouts = "\nrefresh: 1s\nquery_timeout: 800ms\n"

// testWorldTimeouts is every test world's refresh and query timeout
// instead of rehearsalTimeouts. A test world answers its queries and
// probes from a process that shares the machine with dozens of worlds,
// their verbs and screens, and a second copy of the suite: there, 800ms
// was missed (checks and gates read UNKNOWN, S1 refused on its gates,
// guards held) for the machine's sake, not the world's. 2.5s is three
// times the rehearsal's headroom, still well under stale_after (10s), so
// a stale or silent source is still told apart from a slow answer.
const testWorldTimeouts = "\nrefresh: 3s\nquery_timeout: 2500ms\n"

// loadedMachineTimeouts rewrites the world's rehearsalTimeouts to
// testWorldTimeouts (`cockpit rehearse` keeps its own).
func loadedMachineTimeouts(t testing.TB, cfg string) string {
	t.Helper()
	if !strings.Contains(cfg, rehearsalTimeouts) {
		t.Fatalf("no %q in the world's config:\n%s", rehearsalTimeouts, cfg)
	}
	return strings.Replace(cfg, rehearsalTimeouts, testWorldTimeouts, 1)
}

// exampleTimeouts is a config edit for newE2EWorld: the example config's
// refresh 5s and query_timeout 4s instead of testWorldTimeouts, for a test
// whose checks must read PASS throughout a long scene: a single round
// missing its timeout would read UNKNOWN for the machine's sake.
func exampleTimeouts(t *testing.T) func(cfg string) string {
	return func(cfg string) string {
		if !strings.Contains(cfg, testWorldTimeouts) {
			t.Fatalf("no %q in the world's config:\n%s", testWorldTimeouts, cfg)
		}
		return strings.Replace(cfg, testWorldTimeouts, "\nrefresh: 5s\nquery_timeout: 4s\n", 1)
	}
}

// worldCohorts is the world's production ladder, as configgen writes it.
const worldCohorts = "\n    cohorts: [5, 25, 50, 100]\n    soak: 10s\n"

// shortS4 is a config edit for a test that needs production's S4 done,
// not its ladder judged (the cutover tests judge every cohort): two
// cohorts with a 2s soak instead of four with 10s, each cohort still
// observed on the world's own 10s write-share window. About 30s of S4
// instead of 90s. then, when set, edits the config further.
func shortS4(t testing.TB, then func(cfg string) string) func(cfg string) string {
	return func(cfg string) string {
		if !strings.Contains(cfg, worldCohorts) {
			t.Fatalf("no %q in the world's config:\n%s", worldCohorts, cfg)
		}
		cfg = strings.Replace(cfg, worldCohorts, "\n    cohorts: [50, 100]\n    soak: 2s\n", 1)
		if then != nil {
			cfg = then(cfg)
		}
		return cfg
	}
}

// verifyTimeout rewrites every environment's verify_timeout from the
// world's 60s to d. It also bounds a rollback's watch after it took the
// lock over from a forward step (min(verify_timeout, 1m)), which a test
// of a takeover waits out.
func verifyTimeout(t testing.TB, cfg string, d time.Duration) string {
	t.Helper()
	const world = "verify_timeout: 60s"
	if !strings.Contains(cfg, world) {
		t.Fatalf("no %q in the world's config:\n%s", world, cfg)
	}
	return strings.ReplaceAll(cfg, world, "verify_timeout: "+d.String())
}

// incidentFor rewrites one incident's `for` in a world's config from the
// world's 30s to d: for a test that needs the incident pending, then
// firing, not the duration itself judged. Long enough (10s and more) for a
// poll to see it pending on a busy machine.
func incidentFor(t testing.TB, cfg, name string, d time.Duration) string {
	t.Helper()
	line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `: \{.*, for: 30s[,}].*$`)
	at := line.FindStringIndex(cfg)
	if at == nil {
		t.Fatalf("no incident %s with for: 30s in the world's config:\n%s", name, cfg)
	}
	edited := strings.Replace(cfg[at[0]:at[1]], ", for: 30s", ", for: "+d.String(), 1)
	return cfg[:at[0]] + edited + cfg[at[1]:]
}

// cockpit runs the binary with --config and DB_URL pointing at this world.
func (e *e2eWorld) cockpit(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e.cockpitEnv(map[string]string{"DB_URL": e.dbURL}, args...)
}

// cockpitEnv runs the binary with extra environment variables (nil: none,
// not even DB_URL), in its own process group, killed with the test.
func (e *e2eWorld) cockpitEnv(env map[string]string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := e.command(env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), exitCodeOf(e.t, cmd, err)
}

func (e *e2eWorld) command(env map[string]string, args ...string) *exec.Cmd {
	if args[0] != "rehearse" || args[2] != "db-fixtures" {
		args = append(args, "--config", e.config)
	}
	ctx, cancel := context.WithTimeout(e.t.Context(), 3*time.Minute)
	e.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdin = strings.NewReader("")
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func exitCodeOf(t testing.TB, cmd *exec.Cmd, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		t.Fatalf("%v: %v", cmd.Args, err)
		return -1
	}
}

// state is `rehearse ctl state` for one environment: what the world says,
// not what the cockpit says.
func (e *e2eWorld) state(env string) sandbox.EnvState {
	e.t.Helper()
	out, errOut, code := e.cockpit("rehearse", "ctl", "state")
	if code != 0 {
		e.t.Fatalf("ctl state: exit %d: %s", code, errOut)
	}
	var all map[string]sandbox.EnvState
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		e.t.Fatalf("ctl state is not JSON: %v\n%s", err, out)
	}
	return all[env]
}

// ctl runs a `rehearse ctl` verb that must succeed.
func (e *e2eWorld) ctl(env string, args ...string) {
	e.t.Helper()
	if _, errOut, code := e.cockpit(append([]string{"rehearse", "ctl", "--env", env}, args...)...); code != 0 {
		e.t.Fatalf("ctl %v: exit %d: %s", args, code, errOut)
	}
}

// mustRun runs a cockpit verb that must end with want.
func (e *e2eWorld) mustRun(want int, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.cockpit(args...)
	if code != want {
		e.t.Fatalf("cockpit %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

// mustRunEnv runs a cockpit verb with these environment variables (DB_URL
// among them if wanted) that must end with want.
func (e *e2eWorld) mustRunEnv(env map[string]string, want int, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.cockpitEnv(env, args...)
	if code != want {
		e.t.Fatalf("cockpit %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

// timeline is the environment's journal as `timeline -o json` prints it.
func (e *e2eWorld) timeline(env string) []journal.Record {
	e.t.Helper()
	out := e.mustRun(0, "timeline", "--env", env, "-o", "json")
	var recs []journal.Record
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r journal.Record
		if err := dec.Decode(&r); err != nil {
			e.t.Fatalf("timeline -o json: %v\n%s", err, out)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkJSON runs `check WHAT -o json` and returns its exit code and the
// verdict of every check by id.
func (e *e2eWorld) checkJSON(env, what string) (int, map[string]checkLine) {
	e.t.Helper()
	out, errOut, code := e.cockpit("check", what, "--env", env, "-o", "json")
	var rep struct {
		Checks []checkLine `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		e.t.Fatalf("check %s -o json (exit %d): %v\n%s\n%s", what, code, err, out, errOut)
	}
	byID := map[string]checkLine{}
	for _, c := range rep.Checks {
		byID[c.ID] = c
	}
	return code, byID
}

// eventually polls f every interval until it returns true or d passes.
func eventually(t *testing.T, d, interval time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(interval)
	}
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return path
}
