package tui

import (
	"github.com/charmbracelet/colorprofile"

	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// hostile retitles the window, clears the screen and returns to column 0
// to print a passing P1 over the row that shows a failing one.
const hostile = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"

// hostileWorld is a state and journal as the screen receives them: a parity
// report whose gate reason and a journal line (edited by hand) hold the
// hostile string, read through the cockpit's own readers.
func hostileWorld(t *testing.T) (runbook.State, []journal.Record) {
	t.Helper()
	dir := t.TempDir()
	reason, _ := json.Marshal(hostile)
	report := `{"schema":"` + checks.ParitySchema + `","generated_at":"` + clock.Add(-time.Minute).Format(time.RFC3339) +
		`","legacy_run_id":"r1","rust_run_id":"r1","diffs":[],"totals":{"critical":0,"warning":0},` +
		`"gate":{"decision":"block","reason":` + string(reason) + `}}`
	if err := os.WriteFile(filepath.Join(dir, "parity.json"), []byte(report), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := checks.ReadParity(filepath.Join(dir, "*.json"), 10*time.Minute, config.ParityPolicy{BlockOnCritical: true}, clock)
	if pr.Gate.Verdict != checks.Fail {
		t.Fatalf("P1 = %s (%s)", pr.Gate.Verdict, pr.Gate.Line(clock))
	}
	s := healthyState()
	s.Items[0].Verdict, s.Items[0].Checks = checks.Fail, []checks.Result{pr.Gate}
	s.Parity = runbook.ParityStatus{Result: pr.Gate, Decision: "block", Path: pr.Path, Generated: pr.Generated}

	line, _ := json.Marshal(journal.Record{Time: clock, Kind: journal.KindOutcome, Step: "S1", Check: "set_rust_write_mode",
		OK: new(false), Evidence: hostile, Message: "exit 1 in 2s: " + hostile + "\n\x1b[31mERROR\x1b[0m: denied\r\nline 3"})
	jpath := filepath.Join(dir, "journal.jsonl")
	if err := os.WriteFile(jpath, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := journal.Read(jpath)
	if err != nil {
		t.Fatal(err)
	}
	return s, recs
}

// TestHostileTextLeavesTheScreenIntact: with the ASCII profile lipgloss
// writes no escape of its own, so the screen must hold none; every row is
// exactly as wide as the terminal, the RUNBOOK title and P1 row stand where
// they belong, and the timeline shows the record on one row.
func TestHostileTextLeavesTheScreenIntact(t *testing.T) {
	s, recs := hostileWorld(t)
	for _, size := range [][2]int{{200, 50}, {80, 24}} {
		w, h := size[0], size[1]
		m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, w, h)
		m.Update(journalMsg{Records: recs})
		m.Update(keyFor(m.keys.Evidence))
		view := m.View().Content
		if strings.ContainsAny(view, "\x1b\x07\r") {
			t.Fatalf("%dx%d: the view holds a control character:\n%q", w, h, view)
		}
		lines := strings.Split(view, "\n")
		if len(lines) != h {
			t.Errorf("%dx%d: %d rows, want %d", w, h, len(lines), h)
		}
		for i, l := range lines {
			if n := ansi.StringWidth(l); n > w || n < w-2 && l != "" { // "" is the gap under the panes; four panes may leave 2 cells
				t.Errorf("%dx%d: row %d is %d cells wide: %q", w, h, i, n, l)
			}
		}
		if !strings.Contains(view, "⏎P1 PASS") {
			t.Errorf("%dx%d: the evidence does not show the reason as data:\n%s", w, h, view)
		}
		m.Update(keyFor(m.keys.Evidence)) // closed: the list (and, wide, the timeline) again
		lines = strings.Split(m.View().Content, "\n")
		runbookAt, p1At := -1, -1
		for i, l := range lines {
			switch {
			case strings.HasPrefix(l, "RUNBOOK"):
				runbookAt = i
			case strings.HasPrefix(l, "▶ ✘ FAIL    P1 parity gate allow"):
				p1At = i
			}
		}
		if runbookAt < 0 || p1At != runbookAt+1 {
			t.Errorf("%dx%d: RUNBOOK at row %d, P1 at row %d:\n%s", w, h, runbookAt, p1At, strings.Join(lines, "\n"))
			continue
		}
		if w >= wideWidth {
			if !strings.Contains(lines[runbookAt], "TIMELINE") {
				t.Errorf("the timeline title left its row: %q", lines[runbookAt])
			}
			if !strings.Contains(lines[runbookAt+1], "outcome S1 set_rust_write_mode exit 1 in 2s: …⏎P1 PASS") {
				t.Errorf("the timeline row is not the record on one line:\n%s", strings.Join(lines, "\n"))
			}
		}
	}
}

// TestEvidenceShowsAnActuatorsWholeOutput: the progress line and the
// timeline show an outcome's first line ("N more lines, e to see"); the
// evidence view shows every line, cleaned.
func TestEvidenceShowsAnActuatorsWholeOutput(t *testing.T) {
	c := &common{styles: NewStyles(colorprofile.NoTTY, true), now: func() time.Time { return clock }}
	keys := DefaultKeyMap(false)
	l := newRunbookList(c, &keys)
	l.SetSize(100, 30)
	its := items()
	l.SetItems(its)
	for l.Selected().ID != "S1" {
		l.Update(keyFor(keys.Down))
	}
	e := newEvidenceView(c, &keys)
	e.SetSize(100, 30)
	e.SetJournal([]journal.Record{{Time: clock, Kind: journal.KindOutcome, Step: "S1", Check: "set_rust_write_mode=rust_active",
		Evidence: "exit 1 in 2s: deploying (2 more lines, e to see)",
		Message:  "exit 1 in 2s: deploying (2 more lines, e to see)\n\x1b[1mdeploying\x1b[0m\rERROR: denied\nline 3"}})
	c.at = clock
	e.Update(evidenceMsg{Item: l.SelectedStatus()})
	view := e.View()
	if strings.ContainsAny(view, "\x1b\r") {
		t.Fatalf("evidence holds a control character: %q", view)
	}
	for _, want := range []string{"OUTPUT S1 set_rust_write_mode=rust_active 14:03:22", "  deploying", "  ERROR: denied", "  line 3"} {
		if !strings.Contains(view, want) {
			t.Errorf("evidence lacks %q:\n%s", want, view)
		}
	}
}
