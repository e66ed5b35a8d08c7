package guard

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// urgency orders phases when several criteria have something to say: the
// banner shows the one closest to acting, and a rollback done outranks a
// hold (nothing will act on top of it).
var urgency = map[Phase]int{Idle: 0, Advised: 1, Cancelled: 2, Holding: 3, Acted: 4, Countdown: 5, Acting: 6}

// Observe decides one round. At most one criterion's decision says Act, on
// the round its countdown ends, and never again for that incident.
func (g *Guard) Observe(r Round) Decision {
	best := Decision{Phase: Idle, Mode: g.policy.Mode, At: r.At}
	seen := map[string]bool{}
	acting := g.acting()
	for _, c := range r.Criteria {
		if !g.policy.guards(c) {
			continue
		}
		seen[c.ID] = true
		d := g.decide(c, r, acting)
		if d.Act {
			acting = true
		}
		// Among equals, the criterion firing longest: a hold on a firing
		// incident says more than a blind one's.
		if d.Act || urgency[d.Phase] > urgency[best.Phase] || (d.Phase == best.Phase && d.FiringFor > best.FiringFor) {
			best = d
		}
	}
	for id, inc := range g.incidents {
		if !seen[id] && !(inc.acted && !inc.done) {
			delete(g.incidents, id) // no longer reported: its episode is over
		}
	}
	return best
}

// acting says whether this guard's rollback is running.
func (g *Guard) acting() bool {
	for _, inc := range g.incidents {
		if inc.acted && !inc.done {
			return true
		}
	}
	return false
}

// decide is one criterion's decision this round; acting says a rollback
// of this guard already runs (for it or another criterion).
func (g *Guard) decide(c Criterion, r Round, acting bool) Decision {
	d := Decision{Mode: g.policy.Mode, Criterion: c.Name(), Runbook: c.Runbook, Title: c.Title, At: r.At, Evidence: evidence(c, r.At)}
	inc := g.incidents[c.ID]
	live := c.State == runbook.IncidentPending || c.State == runbook.IncidentFiring
	if inc == nil && !live {
		if c.State == runbook.IncidentUnknown {
			d.Phase, d.Reason = Holding, blindness(c)
			return d
		}
		return Decision{Phase: Idle, Mode: g.policy.Mode, At: r.At}
	}
	if inc == nil {
		inc = &incident{began: r.At}
		g.incidents[c.ID] = inc
	}
	if c.State == runbook.IncidentFiring {
		d.FiringFor = c.HeldFor
	}
	switch {
	case inc.acted && (!inc.done || live || c.State == runbook.IncidentUnknown):
		d.Phase, d.Reason = Acted, inc.result
		if !inc.done {
			d.Phase = Acting
		}
	case !live && c.State != runbook.IncidentUnknown:
		delete(g.incidents, c.ID) // cleared: the next firing is a new incident
		return Decision{Phase: Idle, Mode: g.policy.Mode, At: r.At}
	case inc.cancelled != "":
		d.Phase, d.Reason = Cancelled, inc.cancelled
	case !g.own.IsZero() && !g.own.Before(inc.began):
		d.Phase, d.Reason = Acted, "rolled back by this guard at "+g.own.UTC().Format("15:04:05Z")
	case !r.Rollback.Started.IsZero() && !r.Rollback.Started.Before(inc.began):
		d.Phase = Acted
		d.Reason = fmt.Sprintf("rolled back by %s at %s", r.Rollback.By, r.Rollback.Started.UTC().Format("15:04:05Z"))
	default:
		g.judge(inc, c, r, acting, &d)
	}
	inc.enter(d.Phase, r.At)
	d.Since = inc.since
	return d
}

// judge is a live incident nobody has acted on or cancelled: hold on bad
// data or a short firing, advise, count down, or act.
func (g *Guard) judge(inc *incident, c Criterion, r Round, acting bool, d *Decision) {
	if why := distrust(c); why != "" {
		inc.countFrom = time.Time{} // a countdown on bad data starts again in full
		d.Phase, d.Reason = Holding, why
		return
	}
	if g.policy.Mode == config.GuardAdvise || !r.CutOver {
		d.Phase = Advised
		if !r.CutOver {
			d.Reason = "nothing to roll back: writes are not on rust"
		}
		return
	}
	if inc.countFrom.IsZero() {
		inc.countFrom = r.At
	}
	d.Remaining = max(g.policy.Countdown-r.At.Sub(inc.countFrom), 0)
	switch {
	case d.Remaining > 0:
		d.Phase = Countdown
	case acting:
		d.Phase, d.Reason = Holding, "the guard's rollback for another criterion is running"
	case r.Busy != "":
		d.Phase, d.Reason = Holding, "countdown over: waiting for "+r.Busy+" to finish"
	default:
		d.Phase, d.Act = Acting, true
		inc.acted, g.own = true, r.At
	}
}

// distrust is why a live criterion cannot be acted on: it is UNKNOWN, one
// of its inputs is unknown or stale, or it is pending (its condition has
// held for less than its for). "" when it can. A firing criterion whose
// condition dips for a round inside keep_firing_for still fires: the
// engine's hysteresis is the criterion's own, not the guard's to redo.
func distrust(c Criterion) string {
	for _, in := range c.Inputs {
		if why := in.distrust(); why != "" {
			return why
		}
	}
	switch {
	case c.State == runbook.IncidentUnknown:
		return blindness(c)
	case c.State == runbook.IncidentPending:
		return fmt.Sprintf("firing %s of its %s for", checks.ShortDuration(c.HeldFor), checks.ShortDuration(c.For))
	}
	return ""
}

// blindness is why an UNKNOWN criterion cannot be judged: its first
// untrusted input, else the engine's evidence.
func blindness(c Criterion) string {
	for _, in := range c.Inputs {
		if why := in.distrust(); why != "" {
			return why
		}
	}
	_, why, ok := strings.Cut(c.Evidence, "unknown (")
	if ok {
		return "unknown: " + strings.TrimSuffix(why, ")")
	}
	return "unknown: " + c.Evidence
}

// enter records when the incident entered its phase.
func (inc *incident) enter(p Phase, at time.Time) {
	if inc.phase != p || inc.since.IsZero() {
		inc.phase, inc.since = p, at
	}
}

// evidence is what the approval record of the guard's rollback carries:
// the criterion's evidence and each input's age.
func evidence(c Criterion, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s (held %s, for %s): %s", c.Name(), c.State, now.UTC().Format("15:04:05Z"),
		checks.ShortDuration(c.HeldFor), checks.ShortDuration(c.For), c.Evidence)
	for _, in := range c.Inputs {
		fmt.Fprintf(&b, "; %s data %s old", in.Name, checks.FormatAge(in.Age))
	}
	return b.String()
}

// Cancel stops the countdown of every incident live at at (counting down,
// holding or advised): the guard does not act on them until they clear.
// It says which it cancelled; none when nothing was live.
func (g *Guard) Cancel(who, why string, at time.Time) []string {
	var ids []string
	for id, inc := range g.incidents {
		if inc.acted || inc.cancelled != "" || inc.began.After(at) {
			continue
		}
		inc.cancelled = fmt.Sprintf("by %s: %s", who, why)
		ids = append(ids, id)
	}
	return ids
}

// Finished records how the guard's rollback ended (its outcome, or why it
// could not start: another rollback holds the lock).
func (g *Guard) Finished(result string) {
	for _, inc := range g.incidents {
		if inc.acted && !inc.done {
			inc.done, inc.result = true, result
		}
	}
}
