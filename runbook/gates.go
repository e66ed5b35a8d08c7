package runbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
)

// gateItems says which items must be green before each action runs, and why:
//
//   - S1 needs every precondition (P1–P4): the runbook lists them before the plan.
//   - S2 needs S1 observed: the write path is verified only once Rust has authority.
//   - S3 needs S2 observed: parity runs against traffic the Rust path served.
//   - S4 (production) needs this environment's preconditions, parity
//     within thresholds, and staging done first: S1–S3 and V1–V4 journaled
//     in a staging environment, with the values S4 will set (Gates adds it).
//   - V1's explicit write probe needs Rust to accept writes (the safe probe),
//     or it would only collect a 503; Gates handles it.
//
// Checks (P*, V2–V4) and the rollback have no gate: reading is always
// allowed, and a rollback must never be held by the state it repairs.
func gateItems(id string) []string {
	switch id {
	case "S1":
		return []string{"P1", "P2", "P3", "P4"}
	case "S2":
		return []string{"S1"}
	case "S3":
		return []string{"S2"}
	case "S4":
		return []string{"P1", "P2", "P3", "P4", "V3"}
	}
	return nil
}

// Gates are the live gate values for running action id in st, each with its
// evidence and age; an action may run without override only when every one
// is PASS. An empty list means the action has no gate. A gated step also
// holds while any incident criterion fires.
func (e *Engine) Gates(st State, id string) []checks.Result {
	return gates(st, id)
}

func gates(st State, id string) []checks.Result {
	if id == "V1" {
		// The gate is the safe half of V1, not V1 itself: the explicit probe
		// is how V1 gets proven, so its own verdict cannot hold it.
		if is, ok := st.Item("V1"); ok {
			var safe []checks.Result
			for _, c := range is.Checks {
				if c.ID != "write_probe.journaled" {
					safe = append(safe, c)
				}
			}
			return []checks.Result{summarize("V1", "rust accepts writes (safe probe)", safe, st.At)}
		}
	}
	ids := gateItems(id)
	if ids == nil {
		return nil
	}
	var out []checks.Result
	for _, gid := range ids {
		is, found := st.Item(gid)
		if !found {
			out = append(out, checks.Result{ID: gid, Title: gid, Verdict: checks.Unknown,
				Evidence: checks.Evidence{Source: "runbook " + gid, Reason: "item not evaluated"}})
			continue
		}
		out = append(out, summarize(gid, is.Item.Title, is.Checks, st.At))
	}
	if id == "S4" {
		out = append(out, st.Staging)
	}
	if strings.HasPrefix(id, "S") {
		out = append(out, noIncidentGate(st, id == "S1" || id == "S4"))
	}
	return out
}

// noIncidentGate holds a step while an incident criterion fires or cannot be
// told: moving forward during an incident is what the runbook forbids. The
// steps that move the authority (S1, S4) are not held by the
// exactly-one-writer check: finishing them is one of its two remedies.
func noIncidentGate(st State, movesAuthority bool) checks.Result {
	r := checks.Result{ID: "I", Title: "no incident criterion firing", ObservedAt: st.At,
		Evidence: checks.Evidence{Source: "incident criteria I1–I3", Rule: "none firing, none unknown"}}
	var firing, unknown []string
	notJudged := 0
	for _, inc := range st.Incidents {
		if movesAuthority && inc.ID == WritersID {
			continue
		}
		switch inc.State {
		case IncidentFiring:
			firing = append(firing, inc.Runbook+" "+inc.ID)
		case IncidentUnknown:
			unknown = append(unknown, inc.Runbook+" "+inc.ID)
		case IncidentNotJudged:
			notJudged++
		}
	}
	switch {
	case len(firing) > 0:
		r.Verdict, r.Evidence.Value = checks.Fail, "firing: "+strings.Join(firing, ", ")
	case len(unknown) > 0:
		r.Verdict, r.Evidence.Value = checks.Unknown, "unknown: "+strings.Join(unknown, ", ")
	case len(st.Incidents) == 0:
		r.Verdict, r.Evidence.Reason = checks.Unknown, "no incident criteria configured"
	case notJudged > 0:
		// A criterion whose source does not apply holds nothing, and is
		// not counted as ok either.
		r.Verdict, r.Evidence.Value = checks.Pass, fmt.Sprintf("%d criteria ok, %d n/a", len(st.Incidents)-notJudged, notJudged)
	default:
		r.Verdict, r.Evidence.Value = checks.Pass, fmt.Sprintf("%d criteria ok", len(st.Incidents))
	}
	return r
}

// summarize folds an item's checks into one Result: the worst verdict, the
// evidence of the check that decided it, and the age of its oldest data, so a
// gate line says why it holds and how fresh that is.
func summarize(id, title string, rs []checks.Result, at time.Time) checks.Result {
	out := checks.Result{ID: id, Title: title, Verdict: verdictOf(rs)}
	if len(rs) == 0 {
		out.Evidence = checks.Evidence{Source: "runbook " + id, Reason: "no checks observed"}
		return out
	}
	decided := rs[0]
	for _, r := range rs {
		if r.Verdict == out.Verdict {
			decided = r
			break
		}
	}
	out.Evidence = decided.Evidence
	if len(rs) > 1 {
		out.Evidence.Source = fmt.Sprintf("%s: %s", decided.ID, decided.Evidence.Source)
	}
	oldest := time.Duration(-1)
	for _, r := range rs {
		if a := r.Age(at); a > oldest {
			oldest = a
			out.ObservedAt = r.ObservedAt
			out.Evidence.Age = r.Evidence.Age
		}
	}
	return out
}

// Summary folds an item's checks into one line-able Result, as gates show it.
func (is ItemStatus) Summary(at time.Time) checks.Result {
	return summarize(is.Item.ID, is.Item.Title, is.Checks, at)
}
