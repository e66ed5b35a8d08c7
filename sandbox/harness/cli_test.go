package harness

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixedNow() time.Time { return reportTime }

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut, fixedNow)
	return code, out.String(), errOut.String()
}

func readReport(t *testing.T, path string) Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("report not written: %v", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return r
}

func TestMainGateOutcomes(t *testing.T) {
	critical := func(c *capture) { c.summaryLastSeq = 2 }
	warning := func(c *capture) { c.checkpointLastEventType = "run.step.completed" }
	tests := []struct {
		name       string
		mutate     func(*capture)
		extra      []string
		wantCode   int
		wantStderr string
		wantGate   string
	}{
		{"allow", nil, nil, 0, "", "allow"},
		{"critical blocks", critical, nil, 1,
			"Error: shadow gate blocked cutover: critical parity diffs detected\n", "block"},
		{"critical not blocking, as two args", critical, []string{"--block-on-critical", "false"}, 0, "", "allow"},
		{"critical not blocking, with =", critical, []string{"--block-on-critical=false"}, 0, "", "allow"},
		{"warning over default budget", warning, nil, 1,
			"Error: shadow gate blocked cutover: warning parity diffs (1) exceed policy threshold (0)\n", "block"},
		{"warning within raised budget", warning, []string{"--max-warnings", "1"}, 0, "", "allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, rust := writePair(t, tt.mutate)
			output := filepath.Join(t.TempDir(), "parity-report.json")
			args := append([]string{"--legacy-manifest", legacy, "--rust-manifest", rust, "--output", output}, tt.extra...)
			code, stdout, stderr := runMain(t, args...)
			if code != tt.wantCode || stderr != tt.wantStderr {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr, tt.wantCode, tt.wantStderr)
			}
			if r := readReport(t, output); r.Gate.Decision != tt.wantGate {
				t.Errorf("report gate = %+v, want %s", r.Gate, tt.wantGate)
			}
			if !strings.HasPrefix(stdout, "shadow parity report generated: gate_decision="+tt.wantGate) ||
				strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, output) {
				t.Errorf("stdout = %q, want one summary line naming the decision and %s", stdout, output)
			}
		})
	}
}

func TestMainErrorsWriteNoReport(t *testing.T) {
	tests := []struct {
		name         string
		breakCapture func(t *testing.T, legacy, rust string) (legacyArg, rustArg string)
	}{
		{"missing manifest", func(t *testing.T, legacy, rust string) (string, string) {
			return filepath.Join(t.TempDir(), "nope.json"), rust
		}},
		{"garbage summary", func(t *testing.T, legacy, rust string) (string, string) {
			writeFile(t, filepath.Join(filepath.Dir(rust), summaryFile), "not json")
			return legacy, rust
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, rust := writePair(t, nil)
			legacyArg, rustArg := tt.breakCapture(t, legacy, rust)
			output := filepath.Join(t.TempDir(), "parity-report.json")
			code, stdout, stderr := runMain(t, "--legacy-manifest", legacyArg, "--rust-manifest", rustArg, "--output", output)
			if code != 1 || !strings.HasPrefix(stderr, "Error: ") || strings.Contains(stderr, "blocked cutover") {
				t.Errorf("exit %d, stderr %q; want exit 1 with an error that is not a gate block", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if _, err := os.Stat(output); !os.IsNotExist(err) {
				t.Errorf("a report was written despite the error (stat: %v)", err)
			}
		})
	}
}

func TestMainUsageErrorsExit2(t *testing.T) {
	legacy, rust := writePair(t, nil)
	output := filepath.Join(t.TempDir(), "parity-report.json")
	full := []string{"--legacy-manifest", legacy, "--rust-manifest", rust, "--output", output}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no arguments", nil, "--legacy-manifest"},
		{"missing --output", full[:4], "--output"},
		{"block-on-critical not a bool", append(full, "--block-on-critical", "yes"), "possible values: true, false"},
		{"block-on-critical without value", append(full, "--block-on-critical"), "block-on-critical"},
		{"negative max-warnings", append(full, "--max-warnings", "-1"), "max-warnings"},
		{"unknown flag", append(full, "--max-warning", "1"), "max-warning"},
		{"stray positional", append(full, "extra"), `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, tt.args...)
			if code != 2 || !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, tt.wantErr)
			}
			if _, err := os.Stat(output); !os.IsNotExist(err) {
				t.Errorf("a report was written on a usage error (stat: %v)", err)
			}
		})
	}
}

func TestMainHelpExits0(t *testing.T) {
	code, stdout, stderr := runMain(t, "--help")
	if code != 0 || !strings.Contains(stdout, "block-on-critical") || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want help on stdout and exit 0", code, stdout, stderr)
	}
}
