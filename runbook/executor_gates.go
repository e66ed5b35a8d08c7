package runbook

import (
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
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
// notGreen keeps the gates that hold: what the operator must fix or override.
func notGreen(gates []checks.Result) []checks.Result {
	var out []checks.Result
	for _, g := range gates {
		if !g.Verdict.Green() {
			out = append(out, g)
		}
	}
	return out
}

func gateLines(gates []checks.Result, now time.Time) string {
	lines := make([]string, len(gates))
	for i, g := range gates {
		lines[i] = g.ID + " " + g.Line(now)
	}
	return strings.Join(lines, "\n")
}

// soakIncidents is what a soak watches: the same incident gate every
// forward step has (FAIL while a criterion fires, UNKNOWN while one cannot
// be told or none is configured), with the firing criteria's evidence so
// the operator reads why the soak stopped.
func soakIncidents(s State, low config.LowTraffic) (checks.Verdict, string) {
	g := noIncidentGate(s, "S4", low) // a soak is part of S4
	if g.Verdict != checks.Fail {
		return g.Verdict, strings.TrimSpace(g.Evidence.Value + " " + g.Evidence.Reason)
	}
	var firing []string
	for _, inc := range s.Incidents {
		if inc.State == IncidentFiring {
			firing = append(firing, inc.Runbook+" "+inc.ID+" ("+inc.Evidence+")")
		}
	}
	return checks.Fail, "firing: " + strings.Join(firing, ", ")
}
