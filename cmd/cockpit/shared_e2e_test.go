package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
)

// TestTheTimelineIsSharedThroughTheDatabase: S1 run on one machine (state
// dir A) is printed in order by `timeline` on another (an empty state dir
// B) that has only the same database.
func TestTheTimelineIsSharedThroughTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), nil)
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")

	raw, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "machine-b.yaml")
	emptyState := filepath.Join(t.TempDir(), "state")
	b := regexp.MustCompile(`(?m)^state_dir: .*$`).ReplaceAll(raw, []byte("state_dir: "+emptyState))
	if err := os.WriteFile(other, b, 0o600); err != nil {
		t.Fatal(err)
	}
	machineB := &e2eWorld{t: t, bin: e.bin, w: e.w, config: other, dbURL: e.dbURL}
	recs := machineB.timeline("staging")
	if _, err := os.Stat(journal.Path(emptyState, "staging")); err == nil {
		t.Fatal("machine B has a journal of its own: the test proves nothing")
	}
	// Every S1 record the operator's machine journaled (each sub-step's
	// intent and outcome, the final outcome), in the same order.
	local := e.timeline("staging")
	mine, theirs := stepRecords(local, "S1"), stepRecords(recs, "S1")
	if len(mine) < 3 || !strings.HasPrefix(mine[0], journal.KindApproval) || !strings.HasPrefix(mine[len(mine)-1], journal.KindOutcome) {
		t.Fatalf("the operator's journal for S1 is not approval, intents… outcome: %v", mine)
	}
	if strings.Join(mine, "\n") != strings.Join(theirs, "\n") {
		t.Fatalf("machine B's timeline for S1:\n%s\nwant the operator's:\n%s", strings.Join(theirs, "\n"), strings.Join(mine, "\n"))
	}
}

// stepRecords are a step's records as "kind check message", in order.
func stepRecords(recs []journal.Record, step string) []string {
	var out []string
	for _, r := range recs {
		if r.Step == step && r.Kind != journal.KindVerdict {
			out = append(out, strings.TrimSpace(r.Kind+" "+r.Check+" "+r.Message))
		}
	}
	return out
}
