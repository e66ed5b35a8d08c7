package tui

import "github.com/openagents/cockpit/runbook"

// misroutedMarker is the header's word for misrouted_writes while it is
// pending or firing: appends reaching a runtime without their run break
// runs now, whatever the phase. In production's cohort phase the cohort
// label says it instead ("NOT sticky"), so it is "" there.
func misroutedMarker(c *common, s runbook.State) string {
	if _, ok := s.Cohort(); ok {
		return ""
	}
	for _, in := range s.Incidents {
		if in.ID != runbook.MisroutedID {
			continue
		}
		switch in.State {
		case runbook.IncidentFiring:
			return c.styles.Crit.Render("MISROUTED WRITES")
		case runbook.IncidentPending:
			return c.styles.Warn.Render("misrouted writes " + pendingFor(in))
		}
	}
	return ""
}
