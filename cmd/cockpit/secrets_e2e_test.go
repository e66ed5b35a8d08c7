package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// secretWorld is a rehearsal world whose config holds a secret of each
// kind the cockpit is given: a password in the Rust runtime's URL, a token
// in the Prometheus URL's query, and a ${VAR} value handed to an actuator
// through its environment. The actuator set_rust_write_mode runs behind a
// recorder that writes its pid and waits for the test before it execs the
// real control, so the test can read its /proc entry while it runs.
type secretWorld struct {
	*e2eWorld
	rustPassword, promToken, actuatorSecret string
	recordDir, recorder                     string
}

// secretEnvVar is the variable the actuator's secret is expanded from.
const secretEnvVar = "COCKPIT_E2E_ACTUATOR_SECRET"

func randomSecret(t *testing.T, kind string) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return kind + "-" + hex.EncodeToString(b)
}

// newSecretWorld starts the world with its config rewritten to carry the
// three secrets. The ${VAR} is in the environment of the verbs the test
// runs (e2eWorld.env), which their actuators inherit; the actuator's env
// refers to it once the world is ready (the readiness checks run without it).
func newSecretWorld(t *testing.T, bin string) *secretWorld {
	t.Helper()
	s := &secretWorld{rustPassword: randomSecret(t, "rustpw"), promToken: randomSecret(t, "promtok"),
		actuatorSecret: randomSecret(t, "actsecret"), recordDir: t.TempDir()}
	s.recorder = writeScript(t, s.recordDir, "recorder.sh",
		`echo $$ > "$COCKPIT_RECORD_DIR/pid.tmp" && mv "$COCKPIT_RECORD_DIR/pid.tmp" "$COCKPIT_RECORD_DIR/pid"
while [ ! -e "$COCKPIT_RECORD_DIR/go" ]; do sleep 0.05; done
exec "$@"`)
	s.e2eWorld = newE2EWorld(t, bin, func(cfg string) string {
		cfg = regexp.MustCompile(`rust_runtime: \{url: "http://`).ReplaceAllString(cfg,
			`rust_runtime: {url: "http://cockpit:`+s.rustPassword+`@`)
		return regexp.MustCompile(`prometheus: \{url: "([^"]*)"\}`).ReplaceAllString(cfg,
			`prometheus: {url: "${1}/?token=`+s.promToken+`"}`)
	})
	s.env = map[string]string{secretEnvVar: s.actuatorSecret}
	raw, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(raw), `set_rust_write_mode: {argv: [`,
		`set_rust_write_mode: {env: {COCKPIT_ACTUATOR_SECRET: "${`+secretEnvVar+`}", COCKPIT_RECORD_DIR: "`+
			s.recordDir+`"}, argv: ["`+s.recorder+`", `)
	if cfg == string(raw) {
		t.Fatalf("no set_rust_write_mode actuator to record in %s", s.config)
	}
	must(t, os.WriteFile(s.config, []byte(cfg), 0o644))
	return s
}

// assertNoSecret fails when text holds any of the world's secrets.
func (s *secretWorld) assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for name, secret := range map[string]string{"the runtime URL's password": s.rustPassword,
		"the Prometheus URL's token": s.promToken, "the actuator's ${VAR} value": s.actuatorSecret} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows %s (%q):\n%s", what, name, secret, text)
		}
	}
}

// assertClean runs a verb and checks none of its output shows a secret.
func (s *secretWorld) assertClean(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, _ = s.cockpit(args...)
	s.assertNoSecret(t, strings.Join(args, " "), stdout+stderr)
	return stdout, stderr
}

// TestSecretsAbsentFromEveryOutput: with a password in a runtime URL, a
// token in the Prometheus URL and an actuator given a secret through its
// environment, no secret reaches stdout or stderr of the read verbs, of
// `run S1` (plan and progress), of errors from a dead Prometheus at that
// URL, the journal, or the running actuator's argv (what `ps` shows every
// user), while the actuator's environment does carry it.
func TestSecretsAbsentFromEveryOutput(t *testing.T) {
	t.Parallel()
	bin := cockpitBinary(t)
	s := newSecretWorld(t, bin)
	redactedURL := "cockpit:" + journal.Redacted + "@"

	out, _ := s.assertClean(t, "check", "all", "--env", "staging")
	if !strings.Contains(out, redactedURL) {
		t.Errorf("check all does not show the runtime URL redacted (%q): the test would not see a leak:\n%s", redactedURL, out)
	}
	s.assertClean(t, "check", "all", "--env", "staging", "-o", "json")
	s.assertClean(t, "status", "--env", "staging", "-o", "json")
	s.assertClean(t, "status", "--env", "staging")
	s.assertClean(t, "preflight", "--env", "staging")

	s.runS1WhileReadingTheActuator(t)

	raw, err := os.ReadFile(journal.Path(filepath.Join(filepath.Dir(s.config), "state"), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	s.assertNoSecret(t, "the journal", string(raw))
	if !strings.Contains(string(raw), "set_rust_write_mode") {
		t.Fatalf("the journal has no set_rust_write_mode call: the actuator never ran\n%s", raw)
	}

	s.deadPrometheus(t)
	s.argvSecretRefused(t)
}

// argvSecretRefused: the same ${VAR} written in the actuator's argv makes
// `config validate` refuse the file, at the element, naming env as the fix.
func (s *secretWorld) argvSecretRefused(t *testing.T) {
	t.Helper()
	raw, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	inArgv := strings.Replace(string(raw), `argv: ["`+s.recorder+`", `, `argv: ["`+s.recorder+`", "--token=${`+secretEnvVar+`}", `, 1)
	if inArgv == string(raw) {
		t.Fatal("the config has no recorder argv to put the secret in")
	}
	path := filepath.Join(t.TempDir(), "argv-secret.yaml")
	must(t, os.WriteFile(path, []byte(inArgv), 0o644))
	world := *s.e2eWorld
	world.config = path
	out, errOut, code := world.cockpit("config", "validate")
	want := "environments.staging.actuators.set_rust_write_mode.argv[1]: holds ${" + secretEnvVar + "}, a secret: " +
		"pass it in environments.staging.actuators.set_rust_write_mode.env instead"
	if code != exitUsage || !strings.Contains(errOut, path+":") || !strings.Contains(errOut, want) {
		t.Errorf("config validate with a ${VAR} in argv: exit %d, want %d and %q at its file:line\nstdout:\n%s\nstderr:\n%s",
			code, exitUsage, want, out, errOut)
	}
	s.assertNoSecret(t, "config validate", out+errOut)
}

// runS1WhileReadingTheActuator runs S1 and, while its first actuator waits
// in the recorder, reads that process's argv and environment from /proc.
func (s *secretWorld) runS1WhileReadingTheActuator(t *testing.T) {
	t.Helper()
	cmd := s.command(map[string]string{"DB_URL": s.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var pid int
	eventually(t, 60*time.Second, 50*time.Millisecond, "the actuator to start", func() bool {
		b, err := os.ReadFile(filepath.Join(s.recordDir, "pid"))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	proc := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		t.Fatalf("reading the running actuator's argv: %v", err)
	}
	environ, err := os.ReadFile(proc + "/environ")
	if err != nil {
		t.Fatalf("reading the running actuator's environment: %v", err)
	}
	must(t, os.WriteFile(filepath.Join(s.recordDir, "go"), nil, 0o644))
	argv := strings.ReplaceAll(string(cmdline), "\x00", " ")
	if !strings.Contains(argv, "RUNTIME_AUTHORITY_WRITE_MODE=rust_active") {
		t.Errorf("pid %d is not the actuator: argv %q", pid, argv)
	}
	s.assertNoSecret(t, "the running actuator's argv (/proc/<pid>/cmdline, what ps shows)", argv)
	if !bytes.Contains(environ, []byte("\x00COCKPIT_ACTUATOR_SECRET="+s.actuatorSecret+"\x00")) {
		t.Errorf("the actuator's environment does not carry COCKPIT_ACTUATOR_SECRET=<the secret>")
	}

	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("run S1 did not end within 2 minutes")
	}
	code := exitCodeOf(t, cmd, err)
	s.assertNoSecret(t, "run S1 (plan and progress)", stdout.String()+stderr.String())
	if code != 0 {
		t.Fatalf("run S1: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "set-env rust RUNTIME_AUTHORITY_WRITE_MODE=rust_active") {
		t.Errorf("run S1 did not print its plan with the resolved argv:\n%s", stdout.String())
	}
	if st := s.state("staging"); st.RustWriteMode != "rust_active" {
		t.Errorf("S1's actuators did not run: the world says %+v", st)
	}
}

// deadPrometheus points the config at a Prometheus that refuses
// connections, its URL still holding the token: the errors every verb shows
// name the URL, never the token.
func (s *secretWorld) deadPrometheus(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	must(t, l.Close())
	raw, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := regexp.MustCompile(`prometheus: \{url: "[^"?]*/\?token=`).ReplaceAllString(string(raw), `prometheus: {url: "`+dead+`/?token=`)
	path := filepath.Join(t.TempDir(), "dead-prometheus.yaml")
	must(t, os.WriteFile(path, []byte(cfg), 0o644))
	world := *s.e2eWorld
	world.config = path
	d := &secretWorld{e2eWorld: &world, rustPassword: s.rustPassword, promToken: s.promToken, actuatorSecret: s.actuatorSecret}

	out, errOut := d.assertClean(t, "check", "all", "--env", "staging")
	if !strings.Contains(out+errOut, "connection refused") || !strings.Contains(out+errOut, "token="+journal.Redacted) {
		t.Errorf("check all against the dead Prometheus does not show its error with the token redacted:\n%s%s", out, errOut)
	}
	d.assertClean(t, "check", "all", "--env", "staging", "-o", "json")
	d.assertClean(t, "status", "--env", "staging", "-o", "json")
	d.assertClean(t, "preflight", "--env", "staging")
	d.evidenceView(t)
}

// evidenceView opens P3's evidence with its sources on the watch screen in
// tmux: the Rust runtime's URLs and the dead Prometheus's errors are there,
// neither secret is, not even half of one (a wrapped line could cut one).
func (s *secretWorld) evidenceView(t *testing.T) {
	t.Helper()
	tmux := toolBinary(t, "tmux", "secrets screen", "apt-get install -y tmux")
	w := newTmuxScreen(t, tmux, "env", secretEnvVar+"="+s.actuatorSecret, s.bin, "watch", "--config", s.config, "--env", "staging")
	w.waitFor("the watch screen's runbook", 30*time.Second, func(screen string) bool {
		return strings.Contains(screen, "P3 health/readiness/projector")
	})
	w.selectItem("P3")
	w.keys("e")
	w.waitFor("P3's evidence", 30*time.Second, func(screen string) bool { return strings.Contains(screen, "EVIDENCE P3") })
	w.keys("s")
	var screen string
	w.waitFor("P3's sources and the Prometheus error", 30*time.Second, func(sc string) bool {
		screen = sc
		return strings.Contains(sc, "source: GET http://cockpit:") && strings.Contains(sc, "query error")
	})
	for _, secret := range []string{s.rustPassword, s.promToken, s.actuatorSecret} {
		for _, half := range []string{secret[:len(secret)/2], secret[len(secret)/2:]} {
			if strings.Contains(screen, half) {
				t.Errorf("the evidence view shows %q of the secret %q:\n%s", half, secret, screen)
			}
		}
	}
	if !strings.Contains(screen, "cockpit:"+journal.Redacted+"@") {
		t.Errorf("the evidence view does not show the runtime URL redacted:\n%s", screen)
	}
	w.keys("q")
	w.waitExit()
}
