package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openagents/cockpit/sandbox"
)

// completions is what `cockpit __complete ARGS…` offers (the words, without
// cobra's directive line and its note on stderr), and its exit code.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	out, errOut, code := runCLI(t, false, append([]string{"__complete"}, args...)...)
	if code != exitOK {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut)
	}
	var words []string
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, ":") { // the directive
			continue
		}
		word, _, _ := strings.Cut(line, "\t")
		words = append(words, word)
	}
	return words
}

// The shell completes what a command line names: run's step IDs, --approve
// with what the verb may approve, --env with the environments of the
// config --config names, and the rehearsal world's fault names and on|off.
func TestCompletionOffersStepsEnvironmentsAndFaults(t *testing.T) {
	t.Parallel()
	cfg := healthy().configFile(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"run's step", []string{"run", ""}, []string{"P1", "P2", "P3", "P4", "S1", "S2", "S3", "S4", "V1", "V2", "V3", "V4"}},
		{"run's step, typed S", []string{"run", "S"}, []string{"S1", "S2", "S3", "S4"}},
		{"run's step, typed v", []string{"run", "v"}, []string{"V1", "V2", "V3", "V4"}},
		{"a fault, typed part", []string{"rehearse", "ctl", "fault", sandbox.FaultNames()[0]}, sandbox.FaultNames()[:1]},
		{"run's approval", []string{"run", "S1", "--approve", ""}, []string{"P1", "P2", "P3", "P4", "S1", "S2", "S3", "S4", "V1", "V2", "V3", "V4"}},
		{"rollback's approval", []string{"rollback", "--approve", ""}, []string{"rollback"}},
		{"check's set", []string{"check", ""}, []string{"preconditions", "verify", "incidents", "all"}},
		{"an environment of the config", []string{"check", "all", "--config", cfg, "--env", ""}, []string{"staging"}},
		{"operate's environment", []string{"operate", "--config", cfg, "--env", ""}, []string{"staging"}},
		{"a fault", []string{"rehearse", "ctl", "--config", cfg, "--env", "staging", "fault", ""}, sandbox.FaultNames()},
		{"a fault's switch", []string{"rehearse", "ctl", "fault", sandbox.FaultNames()[0], ""}, []string{"on", "off"}},
		{"a runtime", []string{"rehearse", "ctl", "redeploy", ""}, []string{"rust", "legacy"}},
		{"the rehearsal's screen", []string{"rehearse", "--env", ""}, sandbox.Environments},
	} {
		if got := completions(t, tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("%s: __complete %q offers %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

// A config that does not load offers no environment (and no file names
// in their place).
func TestCompletionOfEnvironmentsFromABrokenConfigOffersNothing(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("environments: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := completions(t, "status", "--config", bad, "--env", ""); len(got) != 0 {
		t.Errorf("a broken config offers %q, want nothing", got)
	}
	out, _, _ := runCLI(t, false, "__complete", "status", "--config", bad, "--env", "")
	if !strings.HasSuffix(strings.TrimSpace(out), ":4") {
		t.Errorf("directive %q, want :4 (no file completion)", out)
	}
}
