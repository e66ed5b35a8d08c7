package runbook

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
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
	sigs map[string]*config.Signal // the signals it may judge, by name
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
		sigs := map[string]*config.Signal{}
		for _, name := range incidentSignals(inc) {
			sigs[name] = signals[name]
		}
		rules = append(rules, &incidentRule{inc: inc, sigs: sigs,
			cond: checks.Condition{For: inc.For.D(), KeepFiringFor: inc.KeepFiringFor.D()}})
	}
	slices.SortFunc(rules, func(a, b *incidentRule) int {
		return cmp.Or(cmp.Compare(a.inc.Runbook, b.inc.Runbook), cmp.Compare(a.inc.Name, b.inc.Name))
	})
	return rules
}

// incidentSignals are the Prometheus signals a criterion reads.
func incidentSignals(inc *config.Incident) []string {
	switch {
	case inc.Authority != nil:
		return []string{inc.Authority.Rust, inc.Authority.Legacy}
	case inc.Signal != "":
		return []string{inc.Signal}
	}
	return nil
}

// reading is what one criterion observed this round, before its timer:
// a value (or a verdict from a source that is not a number), whether it can
// tell at all, and where it came from.
type reading struct {
	source   string
	value    float64
	hasValue bool
	active   bool
	known    bool
	// notJudged: the source does not apply (required: false, or out of
	// phase); why says so.
	notJudged bool
	why       string
	unit      string
	at        time.Time
	history   []metrics.Point // replayed into the timer when one signal decided
	// insufficient: unknown only for too little traffic (why says how little).
	insufficient bool
}

// evaluateIncidents judges every criterion. Missing, failed, stale or
// silent data is IncidentUnknown, never OK (a first_event counter reads 0
// only while its exporter is proven alive; on_no_data: fail is active); a
// source that does not apply is IncidentNotJudged, with why.
func (r *round) evaluateIncidents(writers writerState) []IncidentStatus {
	out := make([]IncidentStatus, 0, len(r.ev.incidents)+1)
	for _, rule := range r.ev.incidents {
		out = append(out, rule.judge(r.incidentReading(rule, writers)))
	}
	_, percent := writeTarget(r.signal(ShareSignal), r.o.snapshot.Samples[ShareSignal].Value)
	writers.cohort, writers.inCohort = cohortPhaseOf(r.ev.env.Production, writers.routed, writers.rust, writers.legacy, percent, out)
	return append(out, r.ev.writers.judge(writers, r.o.at))
}

func (r *round) incidentReading(rule *incidentRule, writers writerState) reading {
	inc := rule.inc
	switch {
	case inc.Source == config.SourceParityReports:
		return resultReading(r.o.parity.NoCritical, fmt.Sprintf("critical diffs in %d report(s) within max_age", r.o.parity.Reports))
	case inc.Source == config.SourceRustCheckpoints:
		return resultReading(r.o.checkpoints, "")
	case inc.Authority != nil:
		return r.authorityReading(rule, writers)
	}
	return r.signalReading(rule, inc.Signal)
}

// resultReading turns a check's verdict into a reading: FAIL is active,
// PASS (or WARN) is not, NotJudged does not apply, anything else cannot
// tell.
func resultReading(res checks.Result, what string) reading {
	rd := reading{source: res.Evidence.Source, at: res.ObservedAt, known: true, unit: "count"}
	if what != "" {
		rd.source += " (" + what + ")"
	}
	switch res.Verdict {
	case checks.Fail:
		rd.active = true
	case checks.Pass, checks.Warn:
	case checks.NotJudged:
		// Nothing to judge yet (no run watched): n/a, never ok.
		rd.notJudged, rd.why = true, strings.TrimSpace(res.Evidence.Value+": "+res.Evidence.Reason)
		return rd
	default:
		rd.known, rd.why = false, cmp.Or(res.Evidence.Reason, "no data")
	}
	rd.why = cmp.Or(rd.why, strings.TrimSpace(res.Evidence.Value+" "+res.Evidence.Reason))
	return rd
}

// authorityReading judges the signal of each runtime that is the write
// authority (writerState.authorities: where writes are routed, never a
// frozen runtime, whose 503/410 answers are what it must do); the source
// names the runtimes judged and why.
func (r *round) authorityReading(rule *incidentRule, writers writerState) reading {
	a := rule.inc.Authority
	rust, legacy, basis := writers.authorities()
	var names, judged []string
	if rust {
		names, judged = append(names, a.Rust), append(judged, "rust")
	}
	if legacy {
		names, judged = append(names, a.Legacy), append(judged, "legacy")
	}
	if len(names) == 0 {
		return reading{source: "authority: none (both runtimes frozen)", known: true, at: r.o.at,
			why: "no runtime accepts writes: see the exactly-one-writer check"}
	}
	judging := "authority " + strings.Join(judged, ", ") + " (" + basis + "); "
	var worst reading
	for i, name := range names {
		rd := r.sinceAuthority(r.signalReading(rule, name), name, a)
		rd.source = judging + authorityName(name, a) + ": " + rd.source
		switch {
		case i == 0:
			worst = rd
		case !rd.known && (worst.known || (worst.insufficient && !rd.insufficient)):
			worst = rd // UNKNOWN beats any value (it may hide the spike), blind beats quiet
		case rd.known == worst.known && rd.hasValue && (!worst.hasValue || rd.value > worst.value):
			worst = rd
		}
	}
	if len(names) > 1 {
		worst.history = nil // two signals: no single history to replay
	}
	return worst
}

// sinceAuthority keeps a runtime's error rate to data from while it is
// the authority. Before it first gains the authority no client write
// reaches it (a frozen runtime's refusals are no errors: the queries leave
// them out), but a window that reaches back past its last loss mixes in an
// earlier authority period (S1 again soon after a rollback): such a value
// reads insufficient traffic until its window starts after that loss, and
// the history replayed into the timer is cut the same way.
func (r *round) sinceAuthority(rd reading, signal string, a *config.AuthoritySignals) reading {
	runtime, moves := "rust", r.o.history.RustAuthority
	if signal != a.Rust {
		runtime, moves = "legacy", r.o.history.LegacyAuthority
	}
	s := r.o.snapshot.Samples[signal]
	lost := moves.Lost
	if moves.Gained.IsZero() || lost.IsZero() || lost.After(moves.Gained) || !rd.hasValue || s.Window <= 0 {
		return rd
	}
	data := s.DataAt
	if data.IsZero() {
		data = s.At
	}
	if start := data.Add(-s.Window); start.Before(lost) {
		return reading{source: rd.source, unit: rd.unit, at: rd.at, insufficient: true,
			why: fmt.Sprintf("insufficient traffic since %s regained the authority at %s: its %s window reaches back into the earlier authority period (ended %s) for %s more",
				runtime, moves.Gained.UTC().Format("15:04:05Z"), checks.ShortDuration(s.Window), lost.UTC().Format("15:04:05Z"),
				checks.ShortDuration(lost.Sub(start)))}
	}
	kept := rd.history[:0:0]
	for _, p := range rd.history {
		if !p.T.Add(-s.Window).Before(lost) {
			kept = append(kept, p)
		}
	}
	rd.history = kept
	return rd
}

func authorityName(signal string, a *config.AuthoritySignals) string {
	if signal == a.Rust {
		return "rust (authority)"
	}
	return "legacy (authority)"
}

func (r *round) signalReading(rule *incidentRule, name string) reading {
	sig := rule.sigs[name]
	if sig == nil {
		return reading{source: "signals." + name, why: fmt.Sprintf("signal %q is not configured for this environment", name)}
	}
	s := r.o.snapshot.Samples[name]
	now := r.o.at
	staleAfter := checks.StaleAfter(sig, r.ev.staleAfter)
	rd := reading{source: sig.Query, unit: sig.Unit, at: s.At, known: true}
	if why := cmp.Or(sig.NotJudged(), r.outOfPhase(sig)); why != "" {
		rd.at, rd.notJudged, rd.why = now, true, why
		return rd
	}
	if err := s.Future(now, r.ev.maxSkew); err != nil {
		rd.known, rd.why = false, err.Error()
		return rd
	}
	switch {
	case s.Err != nil:
		rd.active, rd.known = policyActive(sig.OnError)
		rd.why = "query error: " + s.Err.Error()
	case s.At.IsZero():
		rd.known, rd.why = false, "not observed yet"
	case staleAfter > 0 && s.Age(now) > staleAfter:
		rd.known, rd.why = false, fmt.Sprintf("stale: data %s old > %s", checks.FormatAge(s.Age(now)), checks.FormatAge(staleAfter))
	case !s.HasValue || s.Silent:
		zero, why := s.Absence(sig, now, staleAfter)
		rd.why = why
		switch {
		case zero:
			rd.hasValue, rd.active = true, rule.breached(0)
		case s.Silent || sig.FirstEvent != nil:
			rd.known = false
		default:
			rd.active, rd.known = policyActive(sig.OnNoData)
		}
	case sig.MinRequests > 0 && s.HasVolume && s.Volume < sig.MinRequests:
		// A ratio over a handful of requests says nothing about a spike.
		rd.known, rd.insufficient, rd.why = false, true, checks.InsufficientTraffic(s.Volume, sig.MinRequests)
	default:
		rd.value, rd.hasValue = s.Value, true
		rd.active = rule.breached(s.Value)
		rd.history = s.History
	}
	return rd
}

// judge runs the criterion's timer on this round's reading.
func (rule *incidentRule) judge(rd reading) IncidentStatus {
	inc := rule.inc
	st := IncidentStatus{ID: inc.Name, Runbook: inc.Runbook, Title: inc.Title, For: inc.For.D(), At: rd.at, Unit: rd.unit}
	if inc.Above != nil {
		st.Threshold, st.Comparator = *inc.Above, ">"
	} else if inc.Below != nil {
		st.Threshold, st.Comparator = *inc.Below, "<"
	}
	rule1 := fmt.Sprintf("%s %s", st.Comparator, checks.FormatValue(st.Threshold, st.Unit))
	if st.For > 0 {
		rule1 += " for " + checks.ShortDuration(st.For)
	}
	if rd.notJudged {
		st.State, st.At = IncidentNotJudged, rd.at
		st.Evidence = fmt.Sprintf("%s → %s → %s", rd.source, rule1, rd.why)
		return st
	}
	if !rd.known {
		st.State = IncidentUnknown
		st.Evidence = fmt.Sprintf("%s → %s → unknown (%s)", rd.source, rule1, rd.why)
		if rd.insufficient {
			st.Insufficient = rd.why
		}
		return st
	}
	if rd.hasValue && len(rd.history) > 0 {
		rule.cond.Replay(rd.history, rd.at, rule.breached)
	}
	switch rule.cond.Observe(rd.active, rd.at) {
	case checks.Firing:
		st.State = IncidentFiring
	case checks.PendingState:
		st.State = IncidentPending
	default:
		st.State = IncidentOK
	}
	st.PendingFor = rule.cond.HeldFor(rd.at)
	st.Value, st.HasValue = rd.value, rd.hasValue
	value := "no value"
	if rd.hasValue {
		value = checks.FormatValue(rd.value, rd.unit)
	}
	if rd.why != "" {
		value += " (" + rd.why + ")"
	}
	held := ""
	if st.PendingFor > 0 {
		held = " (held " + checks.ShortDuration(st.PendingFor) + ")"
	}
	st.Evidence = fmt.Sprintf("%s → %s → %s%s → %s", rd.source, value, rule1, held, st.State)
	return st
}

// breached says whether v crosses the criterion's threshold.
func (rule *incidentRule) breached(v float64) bool {
	inc := rule.inc
	return !math.IsNaN(v) && ((inc.Above != nil && v > *inc.Above) || (inc.Below != nil && v < *inc.Below))
}

// policyActive says what a signal's no-data / error policy means for an
// incident: fail is "happening"; hold or keep_last cannot tell. No policy
// reads missing data as "not happening".
func policyActive(p config.Policy) (active, known bool) {
	switch p {
	case config.PolicyFail:
		return true, true
	default:
		return false, false
	}
}
