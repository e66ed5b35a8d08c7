package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

// incidentsLine is one line for every incident criterion: its value against
// its threshold, a pending timer ("pending 2m10s of 5m"), and when one fires,
// the whole line says so in red with what to do. Two writers (or none) come
// first: nothing else is safe to judge while authority is split.
func incidentsLine(c *common, state runbook.State, width int) string {
	st := c.styles
	incs := state.Incidents
	var firing, pending, rest, unknown []string
	writersFiring, ok := false, 0
	for _, in := range incs {
		switch in.State {
		case runbook.IncidentFiring:
			if in.ID == runbook.WritersID {
				writersFiring = true
				word := writersLabel(state, in)
				if word == writersWord(in) {
					word = strings.ToUpper(word)
				}
				firing = append([]string{in.Runbook + " " + word}, firing...)
				continue
			}
			firing = append(firing, strings.TrimSpace(fmt.Sprintf("%s %s FIRING %s", in.Runbook, in.Title, incidentValue(in))))
		case runbook.IncidentPending:
			pending = append(pending, st.Warn.Render(fmt.Sprintf("%s: pending %s (%s)",
				in.Title, pendingFor(in), incidentValue(in))))
		case runbook.IncidentOK:
			text := in.Title + " " + incidentValue(in)
			if in.ID == runbook.WritersID {
				text = writersLabel(state, in)
			}
			rest = append(rest, st.OK.Render(text))
			ok++
		case runbook.IncidentNotJudged:
			rest = append(rest, st.Stale.Render(in.Title+" n/a"))
		default:
			rest = append(rest, st.Stale.Render(in.Title+" unknown"))
			unknown = append(unknown, in.Title)
		}
	}
	if len(firing) > 0 {
		advice := "rollback recommended: press r"
		switch {
		case writersFiring:
			w, _ := writersOf(state)
			advice = writersAdvice(c, w)
		case rolledBack(state):
			advice = "already rolled back (R1–R3 observed): investigate before any retry"
		case !c.mode.acts():
			advice = "rollback recommended (cockpit operate)"
		}
		line := st.Crit.Render("INCIDENT: " + strings.Join(firing, " · ") + " · " + advice)
		if len(pending) > 0 {
			line += st.Muted.Render(" · ") + strings.Join(pending, st.Muted.Render(" · "))
		}
		return fit(line, width)
	}
	if len(incs) == 0 {
		return fit(st.Stale.Render("INCIDENTS: not observed yet"), width)
	}
	line := "INCIDENTS: none firing · " + strings.Join(append(pending, rest...), st.Muted.Render(" · "))
	if ansi.StringWidth(line) > width {
		// Too narrow for every value: what is pending or unknown by name,
		// the rest counted, so nothing that matters is cut away.
		short := append(pending, st.OK.Render(fmt.Sprintf("%d ok", ok)))
		if len(unknown) > 0 {
			short = append(short, st.Stale.Render("unknown: "+strings.Join(unknown, ", ")))
		}
		line = "INCIDENTS: none firing · " + strings.Join(short, st.Muted.Render(" · "))
	}
	return fit(line, width)
}

// pendingFor is a pending criterion's timer: "2m10s of 5m".
func pendingFor(in runbook.IncidentStatus) string {
	return ageText(in.PendingFor) + " of " + checks.ShortDuration(in.For)
}

// rolledBack says R1–R3 are observed: Rust frozen, legacy accepting, writes
// on legacy. Recommending the rollback again then would only mislead.
func rolledBack(state runbook.State) bool {
	for _, id := range []string{"R1", "R2", "R3"} {
		is, ok := state.Item(id)
		if !ok || is.Verdict != checks.Pass {
			return false
		}
	}
	return true
}

// incidentValue is "3.1% > 2%", "no data" when there is no value, and
// for the writers check how many runtimes accept writes.
func incidentValue(in runbook.IncidentStatus) string {
	if in.ID == runbook.WritersID {
		return writersWord(in)
	}
	if !in.HasValue {
		// A criterion judged from a verdict, not a number (checkpoint
		// regression from the projector watch), has no value to show.
		switch in.State {
		case runbook.IncidentOK:
			return "ok"
		case runbook.IncidentFiring:
			return ""
		}
		return "no data"
	}
	cmp := in.Comparator
	if cmp == "" {
		cmp = ">"
	}
	holds := (cmp == ">" && in.Value > in.Threshold) || (cmp == "<" && in.Value < in.Threshold)
	shown := cmp
	switch {
	case !holds && cmp == ">":
		shown = "≤"
	case !holds:
		shown = "≥"
	}
	return fmt.Sprintf("%s %s %s", checks.FormatValue(in.Value, in.Unit), shown, checks.FormatValue(in.Threshold, in.Unit))
}
