package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigExamplePassesValidate(t *testing.T) {
	t.Parallel()
	example, _, code := runCLI(t, false, "config", "example")
	if code != exitOK || !strings.Contains(example, "--update-env-vars") || !strings.Contains(example, "update-traffic") {
		t.Fatalf("exit %d; example lacks the Cloud Run actuators:\n%s", code, example)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, []byte(example), 0o600))
	out, errOut, code := runCLI(t, false, "config", "validate", "--config", path)
	if code != exitOK || !strings.Contains(out, "valid (2 environments") {
		t.Fatalf("the example does not validate: exit %d\n%s%s", code, out, errOut)
	}
	// Two environments: which one to observe must be said.
	for _, verb := range [][]string{{"check", "all"}, {"status"}, {"preflight"}} {
		_, errOut, code := runCLI(t, false, append(verb, "--config", path)...)
		if code != exitUsage || !strings.Contains(errOut, "--env") {
			t.Errorf("%v without --env: exit %d, stderr %q; want 4 asking for --env", verb, code, errOut)
		}
	}
}

func TestConfigValidateListsEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, []byte(`refresh: 1s
query_timeout: 2s
environments:
  staging:
    prometheus: {url: "not a url"}
    rust_runtime: {url: http://127.0.0.1:4100}
    legacy_runtime: {url: http://127.0.0.1:4000}
`), 0o600))
	_, errOut, code := runCLI(t, false, "config", "validate", "--config", path)
	if code != exitUsage {
		t.Fatalf("exit %d, want 4", code)
	}
	for _, want := range []string{path + ":2: query_timeout", path + ":5: environments.staging.prometheus.url"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
