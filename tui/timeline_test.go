package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// Every record carries the session's operator; only a person's decisions
// show it, so a verdict row never reads as if someone judged it. Verdict
// changes fold into one row per check.
func TestTimelineNamesTheOperatorOnlyForDecisions(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50)
	m.Update(journalMsg{Records: []journal.Record{
		{Time: clock.Add(-time.Minute), Kind: journal.KindVerdict, Check: "P1", Verdict: "UNKNOWN", Operator: "alice", Evidence: "no report"},
		{Time: clock, Kind: journal.KindVerdict, Check: "P1", Verdict: "PASS", Operator: "alice", Evidence: "decision=allow"},
		{Time: clock, Kind: journal.KindApproval, Step: "S1", Operator: "alice", Message: "approved via tui"},
	}})
	var verdict, approval string
	for _, l := range strings.Split(m.View().Content, "\n") {
		switch {
		case strings.Contains(l, "P1 UNKNOWN → PASS 14:03:22"):
			verdict = l
		case strings.Contains(l, "approval S1"):
			approval = l
		}
	}
	if verdict == "" || strings.Contains(verdict, "alice") {
		t.Errorf("verdict row %q: want P1's changes folded, no operator", verdict)
	}
	if !strings.Contains(approval, "approval S1 by alice approved via tui") {
		t.Errorf("approval row %q: want who approved", approval)
	}
}
