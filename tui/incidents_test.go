package tui

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

func TestFiringIncidentRecommendsRollbackUntilItIsObserved(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	if v := m.View(); !strings.Contains(v, "rollback recommended: press r") {
		t.Fatalf("a firing incident does not recommend the rollback:\n%s", v)
	}

	// R1–R3 observed: Rust frozen, legacy accepting, writes on legacy.
	s := firingState()
	for _, id := range []string{"R1", "R2", "R3"} {
		it := &runbook.Item{ID: id, Kind: runbook.Rollback, Title: id}
		s.Items = append(s.Items, runbook.ItemStatus{Item: it, Verdict: checks.Pass})
	}
	s.Items = withoutUnknownR1(s.Items)
	m.Update(StateMsg{Seq: m.obs.seq, State: s})
	v := m.View()
	if strings.Contains(v, "rollback recommended") || !strings.Contains(v, "already rolled back") {
		t.Fatalf("after an observed rollback the incidents line still recommends one:\n%s", v)
	}
}

// withoutUnknownR1 drops the fixture's own R1 (UNKNOWN) so the PASS one counts.
func withoutUnknownR1(items []runbook.ItemStatus) []runbook.ItemStatus {
	var out []runbook.ItemStatus
	for _, is := range items {
		if is.Item.ID == "R1" && is.Verdict != checks.Pass {
			continue
		}
		out = append(out, is)
	}
	return out
}
