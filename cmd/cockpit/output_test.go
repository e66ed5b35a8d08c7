package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// TestUnknownOutputFormatIsOneErrorInEveryVerb: every verb with -o looks
// its formatter up in the one registry, so an -o that names no format gets
// the same one line and the same exit code (4, usage) from each, before
// anything is read or changed.
func TestUnknownOutputFormatIsOneErrorInEveryVerb(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "absent.yaml")
	const want = `-o "yaml" is not an output format: want text, json or markdown`
	for _, args := range [][]string{
		{"check", "all"},
		{"status"},
		{"preflight"},
		{"run", "S1", "--approve", "S1"},
		{"rollback", "--approve", "rollback"},
		{"timeline"},
		{"guard"},
	} {
		out, errOut, code := runCLI(t, false, append(args, "--config", cfg, "-o", "yaml")...)
		if code != exitUsage || strings.TrimSpace(errOut) != want || out != "" {
			t.Errorf("%s -o yaml: exit %d, stderr %q, stdout %q; want exit %d and %q", args[0], code, errOut, out, exitUsage, want)
		}
	}
	// A format that exists but the verb does not print names the ones it does.
	if _, errOut, code := runCLI(t, false, "check", "all", "--config", cfg, "-o", "markdown"); code != exitUsage ||
		strings.TrimSpace(errOut) != "-o markdown: this verb prints text or json" {
		t.Errorf("check -o markdown: exit %d, stderr %q", code, errOut)
	}
}

// TestCheckColourOnAPtyHonoursNoColor runs the binary on a real pty (a
// terminal for stdin and stdout, as an operator's shell): the verdicts are
// coloured, and NO_COLOR=1 takes every escape sequence away.
func TestCheckColourOnAPtyHonoursNoColor(t *testing.T) {
	t.Parallel()
	bin, cfg := cockpitBinary(t), healthy().configFile(t)
	coloured := checkOnPty(t, bin, cfg, "TERM=xterm-256color")
	if !strings.Contains(coloured, "\x1b[32mPASS") {
		t.Errorf("check all on a pty has no green PASS:\n%q", coloured)
	}
	plain := checkOnPty(t, bin, cfg, "TERM=xterm-256color", "NO_COLOR=1")
	if strings.Contains(plain, "\x1b") {
		t.Errorf("NO_COLOR=1 check all on a pty printed escape sequences:\n%q", plain)
	}
	if !strings.Contains(plain, "V1  PASS") || !strings.Contains(plain, "staging: ") {
		t.Errorf("NO_COLOR=1 lost the report's words:\n%s", plain)
	}
}

// checkOnPty runs `check all` with env added on a new pty and returns all
// it printed.
func checkOnPty(t *testing.T, bin, cfg string, env ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, "check", "all", "--config", cfg)
	cmd.Env = append(withoutColourEnv(os.Environ()), env...)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("starting check all on a pty: %v", err)
	}
	defer tty.Close()
	var out bytes.Buffer
	// Read to the end: on Linux a pty whose other side closed reads EIO.
	if _, err := io.Copy(&out, tty); err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatalf("reading the pty: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("check all: %v", err)
		}
	}
	return out.String()
}

// withoutColourEnv is environ without what decides colour, so that the
// test's own terminal settings do not decide its outcome.
func withoutColourEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k != "NO_COLOR" && k != "TERM" && k != "CLICOLOR" && k != "CLICOLOR_FORCE" {
			out = append(out, kv)
		}
	}
	return out
}

// TestConfigValidateNamesNotifyProblemsWithTheirLine: the notify: section
// is plain data in config and notify checks it (config.RegisterCheck); the
// binary links notify, so `config validate` still names its problems with
// their file:line, beside config's own.
func TestConfigValidateNamesNotifyProblemsWithTheirLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, []byte(`environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: http://127.0.0.1:4100}
    legacy_runtime: {url: http://127.0.0.1:4000}
    actuators:
      set_rust_write_mode: {argv: [tool, "{{.Mode}}"]}
notify:
  queue_size: -1
  targets:
    - name: ops
      url: https://hooks.example/services/T0/B0/secretpath
      format: teams
      events: [override]
      template: "{{.Stepp}}"
`), 0o600))
	_, errOut, code := runCLI(t, false, "config", "validate", "--config", path)
	if code != exitUsage {
		t.Fatalf("exit %d, want 4\n%s", code, errOut)
	}
	for _, want := range []string{path + ":9: notify.queue_size: -1 is negative", path + `:13: notify.targets[0].format: "teams" is not a format`,
		path + ":15: notify.targets[0].template: ", "can't evaluate field Stepp"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
