package runbook

import (
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
)

func allGreen(gates []checks.Result) bool {
	for _, g := range gates {
		if !g.Verdict.Green() {
			return false
		}
	}
	return true
}

// gateLines renders gates one per line for the journal and refusals.
func gateLines(gates []checks.Result, now time.Time) string {
	lines := make([]string, len(gates))
	for i, g := range gates {
		lines[i] = g.ID + " " + g.Line(now)
	}
	return strings.Join(lines, "\n")
}

// soakIncidents is what a soak watches: FAIL while any incident criterion
// fires, UNKNOWN while any cannot be told (or none was evaluated), PASS
// otherwise, with the criteria named.
func soakIncidents(s State) (checks.Verdict, string) {
	var firing, unknown []string
	for _, inc := range s.Incidents {
		switch inc.State {
		case IncidentFiring:
			firing = append(firing, inc.Runbook+" "+inc.ID+" ("+inc.Evidence+")")
		case IncidentUnknown:
			unknown = append(unknown, inc.Runbook+" "+inc.ID)
		}
	}
	switch {
	case len(firing) > 0:
		return checks.Fail, "firing: " + strings.Join(firing, ", ")
	case len(unknown) > 0:
		return checks.Unknown, "unknown: " + strings.Join(unknown, ", ")
	case len(s.Incidents) == 0:
		return checks.Unknown, "no incident criteria evaluated"
	}
	return checks.Pass, "none firing"
}
