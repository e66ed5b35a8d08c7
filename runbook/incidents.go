package runbook

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// incidentRule is one configured incident criterion with its timer. The
// timer is checks.Condition, the same for/keep_firing_for logic threshold
// checks use, so "sustained for 5m" means one thing everywhere.
type incidentRule struct {
	inc  *config.Incident
	sig  *config.Signal
	cond checks.Condition
}

// newIncidentRules prepares every criterion in runbook order (I1, I2, I3),
// then by name, so the list reads the same on every screen.
func newIncidentRules(incs map[string]*config.Incident, signals map[string]*config.Signal) []*incidentRule {
	var rules []*incidentRule
	for _, inc := range incs {
		if inc == nil {
			continue
		}
		rules = append(rules, &incidentRule{inc: inc, sig: signals[inc.Signal],
			cond: checks.Condition{For: inc.For.D(), KeepFiringFor: inc.KeepFiringFor.D()}})
	}
	slices.SortFunc(rules, func(a, b *incidentRule) int {
		return cmp.Or(cmp.Compare(a.inc.Runbook, b.inc.Runbook), cmp.Compare(a.inc.Name, b.inc.Name))
	})
	return rules
}

// evaluateIncidents judges every criterion on its signal's latest sample.
// Missing, failed or stale data is IncidentUnknown, never OK, unless the
// signal's own policy says what no data means (pass: inactive, fail: active).
func (ev *evaluator) evaluateIncidents(snap metrics.Snapshot, now time.Time) []IncidentStatus {
	out := make([]IncidentStatus, 0, len(ev.incidents))
	for _, rule := range ev.incidents {
		out = append(out, ev.evaluateIncident(rule, snap.Samples[rule.inc.Signal], now))
	}
	return out
}

func (ev *evaluator) evaluateIncident(rule *incidentRule, s metrics.Sample, now time.Time) IncidentStatus {
	inc := rule.inc
	st := IncidentStatus{ID: inc.Name, Runbook: inc.Runbook, Title: inc.Title, For: inc.For.D(), At: s.At}
	if inc.Above != nil {
		st.Threshold, st.Comparator = *inc.Above, ">"
	} else if inc.Below != nil {
		st.Threshold, st.Comparator = *inc.Below, "<"
	}
	if rule.sig == nil {
		st.Evidence = fmt.Sprintf("signal %q is not configured for this environment", inc.Signal)
		return st
	}
	st.Unit = rule.sig.Unit
	source := rule.sig.Query
	rule1 := fmt.Sprintf("%s %s", st.Comparator, checks.FormatValue(st.Threshold, st.Unit))
	if st.For > 0 {
		rule1 += " for " + checks.ShortDuration(st.For)
	}

	active, known, why := false, true, ""
	switch {
	case s.Err != nil:
		active, known = policyActive(rule.sig.OnError)
		why = "query error: " + s.Err.Error()
	case s.At.IsZero():
		known, why = false, "not observed yet"
	case ev.staleAfter > 0 && s.Age(now) > ev.staleAfter:
		known, why = false, fmt.Sprintf("stale: %s > %s", checks.FormatAge(s.Age(now)), checks.FormatAge(ev.staleAfter))
	case !s.HasValue:
		active, known = policyActive(rule.sig.OnNoData)
		why = "no data"
	case rule.sig.MinRequests > 0 && s.HasVolume && s.Volume < rule.sig.MinRequests:
		// A ratio over a handful of requests says nothing about a spike.
		known, why = false, fmt.Sprintf("too little traffic: %s < %s requests",
			checks.FormatValue(s.Volume, "count"), checks.FormatValue(rule.sig.MinRequests, "count"))
	default:
		st.Value, st.HasValue = s.Value, true
		active = rule.breached(s.Value)
	}
	if !known {
		st.State = IncidentUnknown
		st.Evidence = fmt.Sprintf("%s → %s → unknown (%s)", source, rule1, why)
		return st
	}
	if st.HasValue {
		rule.cond.Replay(s.History, s.At, rule.breached)
	}
	switch rule.cond.Observe(active, s.At) {
	case checks.Firing:
		st.State = IncidentFiring
	case checks.PendingState:
		st.State = IncidentPending
	default:
		st.State = IncidentOK
	}
	st.PendingFor = rule.cond.HeldFor(s.At)
	value := "no value"
	if st.HasValue {
		value = checks.FormatValue(st.Value, st.Unit)
	}
	if why != "" {
		value += " (" + why + ", per policy)"
	}
	held := ""
	if st.PendingFor > 0 {
		held = " (held " + checks.ShortDuration(st.PendingFor) + ")"
	}
	st.Evidence = fmt.Sprintf("%s → %s → %s%s → %s", source, value, rule1, held, st.State)
	return st
}

// breached says whether v crosses the criterion's threshold.
func (rule *incidentRule) breached(v float64) bool {
	inc := rule.inc
	return (inc.Above != nil && v > *inc.Above) || (inc.Below != nil && v < *inc.Below)
}

// policyActive says what a signal's no-data / error policy means for an
// incident: pass is "not happening", fail is "happening", and hold or
// keep_last cannot tell.
func policyActive(p config.Policy) (active, known bool) {
	switch p {
	case config.PolicyPass:
		return false, true
	case config.PolicyFail:
		return true, true
	default:
		return false, false
	}
}
