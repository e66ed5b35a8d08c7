package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// showConfig is a config with the override and two secrets: a URL
// password and a header value.
const showConfig = `
signals: {legacy_http_5xx_ratio: {for: 0s}}
environments:
  staging:
    prometheus: {url: "http://cockpit:pr0m-passw0rd@127.0.0.1:9090", headers: {X-Gateway-Key: "gw-k3y-0000"}}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`

func writeShowConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, []byte(src), 0o600))
	return path
}

func TestConfigShowPrintsTheEffectiveConfig(t *testing.T) {
	t.Parallel()
	path := writeShowConfig(t, showConfig)
	out, errOut, code := runCLI(t, false, "config", "show", "--config", path, "--env", "staging")
	if code != exitOK {
		t.Fatalf("config show: exit %d\n%s", code, errOut)
	}
	// The override's block carries for: 0s; a signal the file left out
	// carries its default (10m), merged into the environment.
	block := out[strings.Index(out, "      legacy_http_5xx_ratio:"):]
	block = block[:strings.Index(block, "series:")]
	if !strings.Contains(block, "\n        for: 0s\n") || !strings.Contains(block, "on_no_data:") {
		t.Errorf("legacy_http_5xx_ratio does not show for: 0s:\n%s", block)
	}
	if !strings.Contains(out, "        for: 10m0s\n") {
		t.Errorf("no default 10m for is shown (projection_write_failure_ratio):\n%s", out)
	}
	for _, secret := range []string{"pr0m-passw0rd", "gw-k3y-0000"} {
		if strings.Contains(out, secret) {
			t.Errorf("config show prints the secret %q", secret)
		}
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Errorf("config show does not mark what it redacted:\n%s", out)
	}

	js, errOut, code := runCLI(t, false, "config", "show", "--config", path, "-o", "json")
	if code != exitOK {
		t.Fatalf("config show -o json: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Signals      map[string]map[string]any `json:"signals"`
		Environments map[string]struct {
			Soak    string                    `json:"soak"`
			Signals map[string]map[string]any `json:"signals"`
		} `json:"environments"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("config show -o json is not JSON: %v\n%s", err, js)
	}
	for where, signals := range map[string]map[string]map[string]any{"signals": doc.Signals, "staging": doc.Environments["staging"].Signals} {
		if got := signals["legacy_http_5xx_ratio"]["for"]; got != "0s" {
			t.Errorf("%s legacy_http_5xx_ratio for = %v in JSON, want 0s", where, got)
		}
		if got := signals["projection_write_failure_ratio"]["for"]; got != "10m0s" {
			t.Errorf("%s projection_write_failure_ratio for = %v in JSON, want the default 10m0s", where, got)
		}
	}
	if doc.Environments["staging"].Soak != "10m0s" {
		t.Errorf("soak = %q in JSON, want the default 10m0s", doc.Environments["staging"].Soak)
	}
}

func TestConfigShowBadDay(t *testing.T) {
	t.Parallel()
	good := writeShowConfig(t, showConfig)
	bad := writeShowConfig(t, strings.Replace(showConfig, "{for: 0s}", "{for: 5}", 1))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", bad}, "signals.legacy_http_5xx_ratio.for: \"5\" is not a duration"},
		{[]string{"--config", good, "--env", "prod"}, `no environment "prod"`},
		{[]string{"--config", good, "-o", "xml"}, `output "xml" is not a format: use -o yaml or -o json`},
	} {
		out, errOut, code := runCLI(t, false, append([]string{"config", "show"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("config show %v: exit %d, stdout %d bytes, stderr %q; want 4 naming %q", tc.args, code, len(out), errOut, tc.want)
		}
	}
}

// TestConfigValidateWarnsWhenProductionHasNoParitySource: the example
// gives production its own harness and capture (no warning); taking them
// out is still valid (exit 0) but warned, at the line, naming the gates.
func TestConfigValidateWarnsWhenProductionHasNoParitySource(t *testing.T) {
	t.Parallel()
	cfg := exampleConfigParsed(t)
	prod := cfg.Environments["production"]
	if prod.Parity.Capture == nil || len(prod.Parity.Harness.Argv) == 0 || prod.Parity.Reports == "" {
		t.Fatalf("the example's production has no parity source: %+v", prod.Parity)
	}
	example := writeShowConfig(t, exampleConfig)
	if _, errOut, code := runCLI(t, false, "config", "validate", "--config", example); code != exitOK || errOut != "" {
		t.Errorf("the example: exit %d, stderr %q; want 0 and no warning", code, errOut)
	}
	start := strings.Index(exampleConfig, "      # Production's own parity source")
	end := strings.Index(exampleConfig[start:], "    actuators:") + start
	if start < 0 || end < start {
		t.Fatal("the example's production parity source is not where this test looks for it")
	}
	stripped := writeShowConfig(t, exampleConfig[:start]+exampleConfig[end:])
	out, errOut, code := runCLI(t, false, "config", "validate", "--config", stripped)
	if code != exitOK || !strings.Contains(out, "valid") {
		t.Fatalf("without production's harness: exit %d, stdout %q; a warning must not fail validate", code, out)
	}
	if !strings.Contains(errOut, "environments.production.parity: warning: production has parity.reports but no parity.harness") ||
		!strings.Contains(errOut, "(P1, P2, V3)") {
		t.Errorf("validate does not warn about production's missing harness:\n%s", errOut)
	}
}
