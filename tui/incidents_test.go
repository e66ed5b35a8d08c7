package tui

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

func TestFiringIncidentRecommendsRollbackUntilItIsObserved(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	if v := m.View().Content; !strings.Contains(v, "rollback recommended: press r") {
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
	v := m.View().Content
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

// Two writers outside a step: the header says so in red up front, where 80
// columns keep it, and the incidents line leads with it and what to do.
func TestTwoWritersMarkerIsRedAndVisibleAt80x24(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, twoWritersState(), 80, 24)
	colour(m)
	lines := strings.Split(m.View().Content, "\n")
	if head := lines[0]; !strings.Contains(head, m.c.styles.Crit.Render("2 WRITERS")) {
		t.Errorf("the header has no red 2 WRITERS at 80 columns: %q", head)
	}
	inc := lineWith(m.View().Content, "INCIDENT:")
	for _, want := range []string{"INCIDENT: W 2 WRITERS", "finish the step or roll back: r"} {
		if !strings.Contains(inc, want) {
			t.Errorf("incidents line %q lacks %q", inc, want)
		}
	}
}

// Neither runtime accepting writes for too long is an outage of its own.
func TestNoWriterMarkerSaysWritesAreRefused(t *testing.T) {
	s := healthyState()
	setWriters(&s, writers(runbook.IncidentFiring, 0, "NEITHER runtime accepts writes for 2m30s"))
	m := newTestModel(t, Options{Mode: Watch}, s, 80, 24)
	v := m.View().Content
	if head := strings.Split(v, "\n")[0]; !strings.Contains(head, "NO WRITER") {
		t.Errorf("the header has no NO WRITER at 80 columns: %q", head)
	}
	// watch cannot roll back: it names the command that can.
	if inc := lineWith(v, "INCIDENT:"); !strings.Contains(inc, "W NO WRITER · finish the rollback or the step (cockpit operate)") {
		t.Errorf("incidents line %q", inc)
	}
}

// One writer is not news: no marker up front, a quiet "1 writer" at the end
// of a wide header, nothing firing.
func TestOneWriterIsQuiet(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, healthyState(), 200, 50)
	colour(m)
	v := m.View().Content
	head := strings.Split(v, "\n")[0]
	if strings.Contains(head, "WRITER") || !strings.HasSuffix(strings.TrimRight(head, " "), m.c.styles.Muted.Render("1 writer")) {
		t.Errorf("one writer is not quiet in the header: %q", head)
	}
	if inc := lineWith(v, "INCIDENTS:"); !strings.Contains(inc, "none firing") || !strings.Contains(inc, "1 writer") {
		t.Errorf("incidents line %q", inc)
	}
}

// A round that fixes the split takes the marker away; one that splits
// again brings it back: the header follows each observation.
func TestWritersMarkerFollowsEachRound(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, twoWritersState(), 80, 24)
	head := func() string { return strings.Split(m.View().Content, "\n")[0] }
	if !strings.Contains(head(), "2 WRITERS") {
		t.Fatalf("no marker: %q", head())
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: healthyState()})
	if strings.Contains(head(), "WRITERS") || strings.Contains(m.View().Content, "INCIDENT:") {
		t.Errorf("the marker stays after the split is over:\n%s", m.View().Content)
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: twoWritersState()})
	if !strings.Contains(head(), "2 WRITERS") {
		t.Errorf("the marker does not come back: %q", head())
	}
}

// While a step moves the authority, two writers are expected (OK): said,
// but not as an incident.
func TestTwoWritersDuringAStepAreNotAnIncident(t *testing.T) {
	s := healthyState()
	setWriters(&s, writers(runbook.IncidentOK, 2, "expected while running: S1 by alice since 14:01:00Z"))
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	v := m.View().Content
	if head := strings.Split(v, "\n")[0]; strings.Contains(head, "WRITERS") || !strings.Contains(head, "2 writers (step running)") {
		t.Errorf("header %q", head)
	}
	if strings.Contains(v, "INCIDENT:") {
		t.Errorf("an expected transition reads as an incident:\n%s", v)
	}
}
