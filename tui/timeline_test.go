package tui

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
)

// Every record carries the session's operator; only a person's decisions
// show it, so a verdict row never reads as if someone judged it.
func TestTimelineNamesTheOperatorOnlyForDecisions(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50)
	m.Update(journalMsg{Records: []journal.Record{
		{Time: clock, Kind: journal.KindVerdict, Check: "P1", Verdict: "PASS", Operator: "alice", Evidence: "decision=allow"},
		{Time: clock, Kind: journal.KindApproval, Step: "S1", Operator: "alice", Message: "approved via tui"},
	}})
	var verdict, approval string
	for _, l := range strings.Split(m.View(), "\n") {
		switch {
		case strings.Contains(l, "verdict P1"):
			verdict = l
		case strings.Contains(l, "approval S1"):
			approval = l
		}
	}
	if verdict == "" || strings.Contains(verdict, "alice") || !strings.Contains(verdict, "decision=allow") {
		t.Errorf("verdict row %q: want its evidence and no operator", verdict)
	}
	if !strings.Contains(approval, "approval S1 by alice approved via tui") {
		t.Errorf("approval row %q: want who approved", approval)
	}
}
