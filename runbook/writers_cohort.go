package runbook

import (
	"fmt"

	"github.com/openagents/cockpit/checks"
)

// MisroutedID names the one-authority-per-run criterion among the
// incidents: writes answered 404 on the write path, appends that reached
// the runtime without their run.
const MisroutedID = "misrouted_writes"

// CohortPhase is production's cohort rollout as observed: Rust and legacy
// both accept writes and writes are split between them. That is S4's
// intended state, not split-brain, as long as the cohort is sticky (each
// run keeps to one runtime), which the misrouted_writes criterion tells.
type CohortPhase struct {
	// Percent is the observed share of writes on Rust, 0–100.
	Percent float64
	// Sticky is the misrouted_writes criterion's state; Judged is false
	// when no such criterion is configured.
	Sticky IncidentState
	Judged bool
}

// cohortPhaseOf finds the cohort phase: a production environment, both
// runtimes accepting writes, writes observed split between them.
func cohortPhaseOf(production bool, routed string, rust, legacy checks.FreezeState, percent float64, incs []IncidentStatus) (CohortPhase, bool) {
	if !production || routed != "split" || rust != checks.Accepting || legacy != checks.Accepting {
		return CohortPhase{}, false
	}
	c := CohortPhase{Percent: percent}
	for _, in := range incs {
		if in.ID == MisroutedID {
			c.Sticky, c.Judged = in.State, true
		}
	}
	return c, true
}

// Cohort is the state's cohort phase, or false outside one: what the
// screen shows instead of "2 writers" while S4's cohorts run.
func (st State) Cohort() (CohortPhase, bool) {
	return cohortPhaseOf(st.Production, st.Observed.WriteTarget.Evidence.Value, st.Writers.Rust, st.Writers.Legacy,
		st.Observed.CohortPercent, st.Incidents)
}

// Label reads "cohort 25%: rust 25 / legacy 75, sticky", its last word
// what misrouted_writes says of the cohort.
func (c CohortPhase) Label() string {
	return fmt.Sprintf("cohort %.0f%%: rust %.0f / legacy %.0f, %s", c.Percent, c.Percent, 100-c.Percent, c.stickiness())
}

func (c CohortPhase) stickiness() string {
	switch {
	case !c.Judged:
		return "stickiness not judged"
	case c.Sticky == IncidentOK:
		return "sticky"
	case c.Sticky == IncidentPending:
		return "misrouted writes pending"
	case c.Sticky == IncidentFiring:
		return "NOT sticky (misrouted writes)"
	}
	return "stickiness unknown"
}

// verdict is the exactly-one-writer check during the cohort phase: two
// writers are expected while the cohort is sticky, split-brain per run when
// misrouted_writes fires, and cannot be told when it cannot.
func (c CohortPhase) verdict() (state IncidentState, verdict, advice string) {
	switch {
	case c.Judged && (c.Sticky == IncidentOK || c.Sticky == IncidentPending):
		return IncidentOK, "expected: " + c.Label(), ""
	case c.Judged && c.Sticky == IncidentFiring:
		return IncidentFiring, c.Label() + ": a run's appends reach the runtime without it",
			"move users, not requests (set_cohort), or roll back (r)"
	case c.Judged:
		return IncidentUnknown, c.Label() + " (misrouted_writes cannot tell)", ""
	}
	return IncidentUnknown, c.Label() + " (no misrouted_writes criterion configured)", ""
}
