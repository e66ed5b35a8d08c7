package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportAlertRulesWritesBothFiles: the verb writes rules.yml and
// rules_test.yml for the environment and says where.
func TestExportAlertRulesWritesBothFiles(t *testing.T) {
	t.Parallel()
	path := writeShowConfig(t, showConfig)
	dir := filepath.Join(t.TempDir(), "rules")
	out, errOut, code := runCLI(t, false, "export", "alert-rules", "--config", path, "--env", "staging", "--out", dir)
	if code != exitOK {
		t.Fatalf("export alert-rules: exit %d\n%s", code, errOut)
	}
	for _, f := range []string{"rules.yml", "rules_test.yml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.Contains(string(b), "write_error_spike") {
			t.Errorf("%s: %v, or no write_error_spike in it", f, err)
		}
		if !strings.Contains(out, filepath.Join(dir, f)) {
			t.Errorf("the output does not name %s: %q", f, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rules.yml")); strings.Contains(string(b), "pr0m-passw0rd") {
		t.Error("rules.yml carries the Prometheus URL's password")
	}
}

// TestExportAlertRulesBadDay: every problem is one line naming the thing
// and the fix, exit 4, and nothing on stdout.
func TestExportAlertRulesBadDay(t *testing.T) {
	t.Parallel()
	good := writeShowConfig(t, showConfig)
	noQuery := writeShowConfig(t, strings.Replace(showConfig, "{for: 0s}}", "{for: 0s}, misrouted_writes: null}", 1))
	file := filepath.Join(t.TempDir(), "a-file")
	must(t, os.WriteFile(file, nil, 0o600))
	out := filepath.Join(t.TempDir(), "rules")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", good, "--env", "prod", "--out", out}, `no environment "prod"`},
		{[]string{"--config", good, "--env", "staging", "--out", filepath.Join(file, "rules")}, "creating --out " + filepath.Join(file, "rules")},
		{[]string{"--config", good, "--env", "staging"}, "--out DIR is required"},
		{[]string{"--config", good, "--out", out}, `required flag(s) "env" not set`},
		{[]string{"--config", noQuery, "--env", "staging", "--out", out}, "misrouted_writes"},
	} {
		stdout, errOut, code := runCLI(t, false, append([]string{"export", "alert-rules"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || stdout != "" {
			t.Errorf("export alert-rules %v: exit %d, stdout %q, stderr %q; want 4 naming %q", tc.args, code, stdout, errOut, tc.want)
		}
	}
}
