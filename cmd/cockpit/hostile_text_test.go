package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// hostileReason retitles the window, clears the screen and returns to
// column 0 to print a passing P1 over the line that says it failed.
const hostileReason = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"

// hostileConfig is the healthy world with a parity report that blocks and
// whose gate reason is hostile, and a journal, as an older version (or a
// hand) wrote it, holding the same string raw.
func hostileConfig(t *testing.T) string {
	t.Helper()
	cfg := healthy().configFile(t)
	dir := filepath.Dir(cfg)
	reason, _ := json.Marshal(hostileReason)
	report := `{"schema":"openagents.runtime.shadow_parity.v1","generated_at":"` + time.Now().UTC().Format(time.RFC3339Nano) + `",` +
		`"legacy_run_id":"r1","rust_run_id":"r1","diffs":[{"severity":"critical","field":` + string(reason) +
		`,"legacy":"a","rust":"b","message":` + string(reason) + `}],"totals":{"critical":1,"warning":0},` +
		`"gate":{"decision":"block","reason":` + string(reason) + `}}`
	must(t, os.WriteFile(filepath.Join(dir, "reports", "parity-report.json"), []byte(report), 0o600))

	j, err := journal.Open(journal.Path(dir, "staging"))
	must(t, err)
	defer j.Close()
	ok := false
	for _, r := range []journal.Record{
		{Kind: journal.KindVerdict, Check: "P1", Verdict: "FAIL", Evidence: "decision=block (" + hostileReason + ")"},
		{Kind: journal.KindOutcome, Step: "S3", Check: "collect", OK: &ok, Evidence: hostileReason,
			Message: "exit 1 in 2s: " + hostileReason + "\n\x1b[31mERROR\x1b[0m: denied\r\nline 3"},
	} {
		must(t, j.Append(r))
	}
	return cfg
}

// TestHostileTextNeverReachesTheTerminal runs the built binary: what a
// parity report's author or a journal's editor writes comes out of check,
// status and timeline as data, with no byte a terminal acts on, and P1's
// line still says FAIL.
func TestHostileTextNeverReachesTheTerminal(t *testing.T) {
	bin := cockpitBinary(t)
	cfg := hostileConfig(t)
	for _, args := range [][]string{
		{"check", "preconditions"},
		{"check", "all", "-o", "json"},
		{"status"},
		{"status", "-o", "json"},
		{"timeline", "-o", "text"},
		{"timeline", "-o", "markdown"},
		{"timeline", "-o", "json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), bin, append(args, "--config", cfg, "--env", "staging")...)
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.Output()
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			} else if err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{"stdout": out, "stderr": stderr} {
				for _, c := range []byte{0x1b, 0x07, 0x0d} {
					if i := strings.IndexByte(string(b), c); i >= 0 {
						t.Errorf("%s holds byte %#x at %d: %q", name, c, i, b[max(i-40, 0):min(i+40, len(b))])
					}
				}
			}
			text := string(out)
			if len(out) == 0 {
				t.Fatalf("no output; stderr %s", stderr)
			}
			switch {
			case args[0] == "check" && len(args) == 2:
				if !p1Fails(text) || !strings.Contains(text, "decision=block (…⏎P1 PASS)") {
					t.Errorf("the P1 line is not intact, its reason not shown as data:\n%s", text)
				}
			case args[0] == "timeline" && args[2] != "json":
				// The journal's own line break ends the row: what follows it
				// is not on P1's row.
				if !strings.Contains(text, "P1 FAIL decision=block (…") {
					t.Errorf("the journaled P1 verdict is not intact:\n%s", text)
				}
			}
		})
	}
}

// p1Fails finds P1's line and checks it says FAIL, on one line, with the
// reason shown as data after it.
func p1Fails(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "P1") && strings.Contains(line, "FAIL") && strings.Contains(line, "decision=block") {
			return true
		}
	}
	return false
}
