package runbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
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
	return gates(st, id, e.env.LowTraffic)
}

func gates(st State, id string, low config.LowTraffic) []checks.Result {
	if id == "V1" {
		// The gate is the safe half of V1, not V1 itself: the explicit probe
		// is how V1 gets proven, so its own verdict cannot hold it.
		if is, ok := st.Item("V1"); ok {
			var safe []checks.Result
			for _, c := range is.Checks {
				if c.ID != "write_probe.journaled" && c.ID != "write_probe.run_held" {
					safe = append(safe, c)
				}
			}
			return []checks.Result{summarize("V1", "rust accepts writes (safe probe)", safe, st.At)}
		}
	}
	ids := gateItems(id)
	if id == "S3" && st.Production {
		// Production's S3 earns S4's parity gates (P1, P2, V3) from its own
		// shadow runs before S4 moves a write: S2 cannot be observed there
		// yet, so it needs the runtimes healthy (P3) instead.
		ids = []string{"P3"}
	}
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
		out = append(out, rustReadyGate(st), noIncidentGate(st, id, low))
	}
	return out
}

// rustReadyGate holds every forward step while the Rust runtime is not
// ready (/readyz 503 not_ready, or it cannot be told): authority must not
// move onto it, nor its write path or parity be judged. A frozen runtime is
// still ready, so this never holds a step for the freeze itself.
func rustReadyGate(st State) checks.Result {
	for _, h := range st.Health {
		if h.ID == "rust_readiness" {
			return h
		}
	}
	return checks.Result{ID: "rust_readiness", Title: "rust readiness", Verdict: checks.Unknown, ObservedAt: st.At,
		Evidence: checks.Evidence{Source: "GET /readyz", Reason: "readiness not observed"}}
}

// noIncidentGate holds step while an incident criterion fires or cannot be
// told: moving forward during an incident is what the runbook forbids. The
// steps that move the authority (S1, S4) are not held by the
// exactly-one-writer check: finishing them is one of its two remedies. A
// criterion unknown only for insufficient traffic holds unless something
// else judges the write path (quietJudge); it is then named, never ok.
func noIncidentGate(st State, step string, low config.LowTraffic) checks.Result {
	r := checks.Result{ID: "I", Title: "no incident criterion firing", ObservedAt: st.At,
		Evidence: checks.Evidence{Source: "incident criteria I1–I3", Rule: "none firing, none unknown"}}
	movesAuthority := step == "S1" || step == "S4"
	judge := quietJudge(st, step, low)
	var firing, unknown, quiet []string
	notJudged := 0
	for _, inc := range st.Incidents {
		if movesAuthority && inc.ID == WritersID {
			continue
		}
		name := inc.Runbook + " " + inc.ID
		switch {
		case inc.State == IncidentFiring:
			firing = append(firing, name)
		case inc.State == IncidentUnknown && inc.Insufficient != "" && judge != "":
			quiet = append(quiet, name+": "+inc.Insufficient)
		case inc.State == IncidentUnknown && inc.Insufficient != "":
			unknown = append(unknown, name+" ("+inc.Insufficient+"; low_traffic: "+string(low)+
				": run the write probe (S2/V1), wait for traffic, or set low_traffic: proceed for this environment)")
		case inc.State == IncidentUnknown:
			unknown = append(unknown, name)
		case inc.State == IncidentNotJudged:
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
	default:
		r.Verdict, r.Evidence.Value = checks.Pass, fmt.Sprintf("%d criteria ok", len(st.Incidents)-len(quiet)-notJudged)
		if notJudged > 0 {
			// A criterion whose source does not apply holds nothing, and
			// is not counted as ok either.
			r.Evidence.Value += fmt.Sprintf(", %d n/a", notJudged)
		}
		if len(quiet) > 0 {
			r.Evidence.Value += fmt.Sprintf("; not judged: %s; %s", strings.Join(quiet, ", "), judge)
		}
	}
	return r
}

// quietJudge says what judges the write path in place of a criterion with
// insufficient traffic, "" when nothing does and the step holds: the write
// probe's own writes (S2 is the probe; after it, a probe passed since the
// last mode change while writes go to Rust alone), or the environment's
// declared low_traffic: proceed.
func quietJudge(st State, step string, low config.LowTraffic) string {
	h := st.History
	switch {
	case step == "S2":
		return "S2's own write probe judges the write path"
	case !h.WriteProbe.IsZero() && !h.WriteProbe.Before(h.ModeChanged) &&
		st.Observed.WriteTarget.Evidence.Value == "rust" && st.Observed.WriteTarget.Verdict != checks.Unknown:
		return "the write probe passed at " + h.WriteProbe.UTC().Format(time.RFC3339) + " judges the write path"
	case low == config.LowTrafficProceed:
		return "the environment declares low_traffic: proceed"
	}
	return ""
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

// SoakIncidents is what a soak watches: the same incident gate every
// forward step has (FAIL while a criterion fires, UNKNOWN while one cannot
// be told or none is configured), with the firing criteria's evidence so
// the operator reads why the soak stopped.
func SoakIncidents(s State, low config.LowTraffic) (checks.Verdict, string) {
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

// AllGreen says whether every gate lets the step run without an override.
func AllGreen(gates []checks.Result) bool {
	for _, g := range gates {
		if !g.Verdict.Green() {
			return false
		}
	}
	return true
}

// NotGreen keeps the gates that hold: what the operator must fix or override.
func NotGreen(gates []checks.Result) []checks.Result {
	var out []checks.Result
	for _, g := range gates {
		if !g.Verdict.Green() {
			out = append(out, g)
		}
	}
	return out
}

// GateLines renders gates one per line for the journal and refusals.
func GateLines(gates []checks.Result, now time.Time) string {
	lines := make([]string, len(gates))
	for i, g := range gates {
		lines[i] = g.ID + " " + g.Line(now)
	}
	return strings.Join(lines, "\n")
}
