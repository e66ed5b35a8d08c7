package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
)

// TestExpandedConfigValuesNeverReachTheJournal: a value the config takes
// from the environment (here the path every actuator's argv carries, as a
// token would be carried) is used by the actuators but journaled redacted.
// Not parallel: the variable is set in the test process (t.Setenv), which
// the binary and the world's actuators inherit.
func TestExpandedConfigValuesNeverReachTheJournal(t *testing.T) {
	bin := cockpitBinary(t)
	var secret string
	configArg := regexp.MustCompile(`"--config", "([^"]+)"`)
	w := newE2EWorld(t, bin, func(cfg string) string {
		m := configArg.FindStringSubmatch(cfg)
		if m == nil {
			t.Fatal("the generated actuators carry no --config to expand")
		}
		secret = m[1]
		t.Setenv("COCKPIT_E2E_CTL_CONFIG", secret)
		return strings.ReplaceAll(cfg, `"--config", "`+secret+`"`, `"--config", "${COCKPIT_E2E_CTL_CONFIG}"`)
	})
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	if st := w.state("staging"); st.RustWriteMode != "rust_active" {
		t.Fatalf("S1's actuators did not run with the expanded value: the world says %+v", st)
	}
	path := journal.Path(filepath.Join(filepath.Dir(w.config), "state"), "staging")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) {
		t.Errorf("the journal holds the expanded value %q", secret)
	}
	if !strings.Contains(string(raw), `"--config","`+journal.Redacted+`"`) {
		t.Errorf("the journal does not show the actuator's argv redacted:\n%s", raw)
	}
}
