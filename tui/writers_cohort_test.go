package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

// cohortState is production at S4's 25% cohort between actions: both
// runtimes accept writes, a quarter of them on Rust, and misrouted_writes
// is in state misrouted.
func cohortState(misrouted runbook.IncidentState) runbook.State {
	s := healthyState()
	s.Env, s.Production = "production", true
	s.Observed.LegacyFreeze = result("freeze", "legacy freeze", checks.Pass, "not frozen", 2*time.Second)
	s.Observed.WriteTarget = result("target", "write target", checks.Pass, "split", 2*time.Second)
	s.Observed.CohortPercent = 25
	s.Writers.Legacy = checks.Accepting
	s.Incidents = append(s.Incidents[:len(s.Incidents)-1],
		runbook.IncidentStatus{ID: runbook.MisroutedID, Runbook: "I2", Title: "writes misrouted", State: misrouted,
			HasValue: true, Threshold: 0, Comparator: ">", Unit: "count", For: time.Minute})
	state := runbook.IncidentOK
	if misrouted == runbook.IncidentFiring {
		state = runbook.IncidentFiring
	}
	s.Incidents = append(s.Incidents, writers(state, 2, "cohort"))
	return s
}

// TestTheCohortPhaseShowsTheCohortNotTwoWriters: a sticky cohort is the
// header's cohort ("cohort 25%: rust 25 / legacy 75, sticky"), neither "2
// WRITERS" nor "(step running)"; when misrouted_writes fires, it says NOT
// sticky, up front and loud, and the incidents line names the criterion.
func TestTheCohortPhaseShowsTheCohortNotTwoWriters(t *testing.T) {
	opts := Options{Env: "production", Production: true, Mode: Operate, Actor: &fakeActor{}}
	m := newTestModel(t, opts, cohortState(runbook.IncidentOK), 200, 50)
	head := strings.Split(m.View().Content, "\n")[0]
	if !strings.Contains(head, "cohort 25%: rust 25 / legacy 75, sticky") || strings.Contains(head, "WRITERS") || strings.Contains(head, "step running") {
		t.Errorf("sticky cohort header %q", head)
	}
	m = newTestModel(t, opts, cohortState(runbook.IncidentFiring), 200, 50)
	v := m.View().Content
	head = strings.Split(v, "\n")[0]
	if !strings.Contains(head, "NOT sticky (misrouted writes)") {
		t.Errorf("misrouted cohort header %q", head)
	}
	if !strings.Contains(v, "INCIDENT: W cohort 25%") || !strings.Contains(v, "writes misrouted FIRING") || strings.Contains(v, "WRITERS") {
		t.Errorf("the incidents line does not name the cohort and misrouted writes:\n%s", v)
	}
	// Outside production the same split is two writers, as ever.
	s := cohortState(runbook.IncidentOK)
	s.Production = false
	m = newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	if head := strings.Split(m.View().Content, "\n")[0]; strings.Contains(head, "cohort 25%:") {
		t.Errorf("a staging split shown as a cohort: %q", head)
	}
}

// TestMisroutedWritesShowInTheHeader: outside the cohort phase (after the
// cutover, say) misrouted writes are a header marker of their own, loud
// when firing, with the timer when pending, absent when ok.
func TestMisroutedWritesShowInTheHeader(t *testing.T) {
	s := healthyState()
	misrouted := runbook.IncidentStatus{ID: runbook.MisroutedID, Runbook: "I2", Title: "writes misrouted", State: runbook.IncidentOK,
		HasValue: true, Comparator: ">", Unit: "count", For: time.Minute}
	s.Incidents = append(s.Incidents, misrouted)
	head := func(s runbook.State) string {
		return strings.Split(newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50).View().Content, "\n")[0]
	}
	if h := head(s); strings.Contains(strings.ToLower(h), "misrouted") {
		t.Errorf("an ok misrouted_writes in the header: %q", h)
	}
	s.Incidents[len(s.Incidents)-1].State, s.Incidents[len(s.Incidents)-1].PendingFor = runbook.IncidentPending, 20*time.Second
	if h := head(s); !strings.Contains(h, "misrouted writes 20s of 1m") {
		t.Errorf("pending misrouted_writes header %q", h)
	}
	s.Incidents[len(s.Incidents)-1].State = runbook.IncidentFiring
	if h := head(s); !strings.Contains(h, "MISROUTED WRITES") {
		t.Errorf("firing misrouted_writes header %q", h)
	}
	// At 80 columns it stays.
	if h := strings.Split(newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 80, 30).View().Content, "\n")[0]; !strings.Contains(h, "MISROUTED WRITES") {
		t.Errorf("80 columns lose the marker: %q", h)
	}
}
