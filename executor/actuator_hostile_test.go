package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

// TestActuatorOutputIsCleanedKeptWholeAndSummarised: an actuator that
// retitles the window, clears the screen, colours its text and prints many
// lines. The journal keeps every line, cleaned (in the file itself, not only
// as read back); the progress line is one line with how many follow.
func TestActuatorOutputIsCleanedKeptWholeAndSummarised(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	h.world.env.VerifyTimeout = config.Duration(500 * time.Millisecond)
	body := `printf '\033]0;pwned\007\033[2J\033[31mdeploying\033[0m\r\n'
i=1; while [ $i -le 30 ]; do printf 'line %d\033[K\n' $i; i=$((i+1)); done
printf '\rP1 PASS\n'
printf '%s' "$1" > "` + filepath.Join(h.world.dir, "mode") + `"
exit 1`
	h.world.env.Actuators.SetRustWriteMode = action(script(t, t.TempDir(), "noisy", body), "{{.Mode}}")
	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		progress []string
	)
	_, err = h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, func(pr Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, pr.Message)
	})
	if err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`\u001b`, `\u0007`, `\r`, "\x1b", "\x07"} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("the journal file holds %q", bad)
		}
	}

	var outcome *journal.Record
	recs := h.records(t)
	for i := range recs {
		if recs[i].Kind == journal.KindOutcome && recs[i].Check == "set_rust_write_mode=rust_active" {
			outcome = &recs[i]
		}
	}
	if outcome == nil {
		t.Fatalf("no outcome for the noisy sub-step: %s", kinds(recs))
	}
	lines := strings.Split(outcome.Message, "\n")
	for i := 1; i <= 30; i++ {
		if !slices.Contains(lines, fmt.Sprintf("line %d", i)) {
			t.Errorf("the journal lost line %d of the output: %q", i, outcome.Message)
			break
		}
	}
	if !slices.Contains(lines, "deploying") || !slices.Contains(lines, "P1 PASS") {
		t.Errorf("the journal's output is not whole and cleaned: %q", outcome.Message)
	}
	if strings.Contains(outcome.Evidence, "\n") {
		t.Errorf("the outcome's evidence is one line: %q", outcome.Evidence)
	}

	mu.Lock()
	defer mu.Unlock()
	var summary string
	for _, m := range progress {
		if strings.ContainsAny(m, "\x1b\x07\r\n") {
			t.Errorf("a progress message is not one safe line: %q", m)
		}
		if strings.HasPrefix(m, "exit 1 in ") {
			summary = m
		}
	}
	if !strings.HasSuffix(summary, ": deploying (32 more lines, e to see)") {
		t.Errorf("progress after the call = %q, want its first line and how many follow; all: %q", summary, progress)
	}
}

func TestSummaryOfOneLineOutputNamesNoMoreLines(t *testing.T) {
	t.Parallel()
	r := ActionResult{ExitCode: 0, Output: "Deployed\n"}
	if got := r.Summary(); got != "exit 0 in 0s: Deployed" {
		t.Errorf("Summary = %q", got)
	}
	r.Output = "a\nb"
	if got := r.Summary(); got != "exit 0 in 0s: a (1 more line, e to see)" {
		t.Errorf("Summary = %q", got)
	}
	if got := (ActionResult{ExitCode: 2}).Summary(); got != "exit 2 in 0s" {
		t.Errorf("Summary without output = %q", got)
	}
}
