package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// ThresholdCheck turns one signal's samples into verdicts. It is stateful:
// its Condition remembers how long the critical threshold has been breached,
// and it remembers its last verdict for the keep_last policy. Evaluate it once
// per new sample, from one goroutine.
type ThresholdCheck struct {
	sig        *config.Signal
	staleAfter time.Duration
	crit       Condition
	// maxSkew is how far in the future a sample may be dated before it is
	// UNKNOWN (0: skew.Default).
	maxSkew time.Duration

	last   Verdict   // the last verdict computed from data
	lastAt time.Time // when that verdict's data was taken
	seen   bool
}

// NewThresholdCheck prepares a check for sig; data older than the signal's
// own stale_after, or else staleAfter (the global one), answers UNKNOWN.
func NewThresholdCheck(sig *config.Signal, staleAfter time.Duration) *ThresholdCheck {
	return &ThresholdCheck{
		sig:        sig,
		staleAfter: StaleAfter(sig, staleAfter),
		crit:       Condition{For: sig.For.D(), KeepFiringFor: sig.KeepFiringFor.D()},
	}
}

// AllowClockSkew sets how far in the future (max_clock_skew) a sample may
// be dated before the check answers UNKNOWN; it returns t.
func (t *ThresholdCheck) AllowClockSkew(d time.Duration) *ThresholdCheck {
	t.maxSkew = d
	return t
}

// StaleAfter is the data age past which sig's value holds gates: the
// signal's own stale_after when it sets one (a source ingested minutes late
// needs a longer one), else global.
func StaleAfter(sig *config.Signal, global time.Duration) time.Duration {
	if sig != nil && sig.StaleAfter > 0 {
		return sig.StaleAfter.D()
	}
	return global
}

// Signal is the signal this check evaluates.
func (t *ThresholdCheck) Signal() *config.Signal { return t.sig }

// Evaluate judges s at now. The verdict explains itself: the query, the
// formatted value, the rule with its timer, and for UNKNOWN the reason.
func (t *ThresholdCheck) Evaluate(s metrics.Sample, now time.Time) Result {
	r := Result{
		ID:         t.sig.Name,
		Title:      t.sig.Title,
		ObservedAt: s.At,
		// The result's age is the data's: now − At + (At − DataAt).
		Evidence: Evidence{Source: t.sig.Query, Rule: t.rule(""), Age: s.DataAge()},
	}
	if why := t.sig.NotJudged(); why != "" {
		r.Verdict, r.Evidence.Reason = NotJudged, why
		return r
	}
	if s.HasValue {
		r.Evidence.Value = FormatValue(s.Value, t.sig.Unit)
	}
	if err := s.Future(now, t.maxSkew); err != nil {
		r.Verdict, r.Evidence.Reason = Unknown, err.Error()
		return r
	}
	switch {
	case s.Err != nil:
		r.Evidence.Value = ""
		r.Verdict, r.Evidence.Reason = t.policy(t.sig.OnError, "query error: "+s.Err.Error(), now)
		return r
	case s.At.IsZero():
		r.Verdict, r.Evidence.Reason = Unknown, "not observed yet"
		return r
	case t.staleAfter > 0 && s.Age(now) > t.staleAfter:
		r.Verdict, r.Evidence.Reason = Unknown, t.staleReason(s, now)
		return r
	case !s.HasValue || s.Silent:
		return t.absent(r, s, now)
	}
	if reason, low := t.lowVolume(s); low {
		r.Verdict, r.Evidence.Reason = Unknown, reason
		return r
	}
	r.Verdict, r.Evidence.Rule = t.judge(s.Value, s.At, s.History)
	t.last, t.lastAt, t.seen = r.Verdict, s.At.Add(-s.DataAge()), true
	return r
}

// absent judges a sample with no value, or a silent one: a first_event
// counter whose exporter is proven alive is 0; a silent sample or a
// first_event counter without that proof is UNKNOWN; any other empty
// answer is a false condition, as in a Prometheus rule, answered by the
// signal's on_no_data policy.
func (t *ThresholdCheck) absent(r Result, s metrics.Sample, now time.Time) Result {
	zero, why := s.Absence(t.sig, now, t.staleAfter)
	switch {
	case zero:
		r.Evidence.Value, r.Evidence.Reason = FormatValue(0, t.sig.Unit), why
		r.Verdict, r.Evidence.Rule = t.judge(0, s.At, nil)
		t.last, t.lastAt, t.seen = r.Verdict, s.At, true
	case s.Silent || t.sig.FirstEvent != nil:
		r.Evidence.Value = ""
		r.Verdict, r.Evidence.Reason = Unknown, why
	default:
		t.crit.Observe(false, s.At)
		r.Verdict, r.Evidence.Reason = t.policy(t.sig.OnNoData, why, now)
	}
	return r
}

// staleReason names what is old: the data ("data 4m12s old", when the
// sampler knows when its newest sample was taken), else the evaluation.
func (t *ThresholdCheck) staleReason(s metrics.Sample, now time.Time) string {
	what := "data " + FormatAge(s.Age(now)) + " old"
	if s.DataAt.IsZero() {
		what = "evaluated " + FormatAge(s.Age(now)) + " ago"
	}
	return fmt.Sprintf("stale: %s > stale_after %s", what, ShortDuration(t.staleAfter))
}

// judge compares a fresh value with the thresholds and advances the timer,
// first replaying the history into a timer that has seen nothing yet.
func (t *ThresholdCheck) judge(v float64, at time.Time, history []metrics.Point) (Verdict, string) {
	critBreached := t.sig.Direction.Breaches(v, t.sig.Crit)
	state := Inactive
	if t.sig.Crit != nil {
		t.crit.Replay(history, at, func(h float64) bool { return t.sig.Direction.Breaches(h, t.sig.Crit) })
		state = t.crit.Observe(critBreached, at)
	}
	switch {
	case state == Firing && critBreached:
		return Fail, t.rule(fmt.Sprintf("breached %s", ShortDuration(t.crit.HeldFor(at))))
	case state == Firing:
		cleared := at.Sub(t.crit.ClearedSince())
		return Fail, t.rule(fmt.Sprintf("cleared %s ago, keeps firing for %s", ShortDuration(cleared), ShortDuration(t.crit.KeepFiringFor)))
	case state == PendingState:
		return Pending, t.rule(fmt.Sprintf("breached %s", ShortDuration(t.crit.HeldFor(at))))
	case t.sig.Direction.Breaches(v, t.sig.Warn):
		return Warn, t.rule("")
	default:
		return Pass, t.rule("")
	}
}

// lowVolume refuses to judge a ratio computed on too little traffic.
func (t *ThresholdCheck) lowVolume(s metrics.Sample) (string, bool) {
	if t.sig.VolumeQuery == "" || t.sig.MinRequests <= 0 {
		return "", false
	}
	if !s.HasVolume {
		return fmt.Sprintf(insufficientTraffic+" (no volume data; %s requests needed)", formatNumber(t.sig.MinRequests)), true
	}
	if s.Volume < t.sig.MinRequests {
		return InsufficientTraffic(s.Volume, t.sig.MinRequests), true
	}
	return "", false
}

// InsufficientTraffic is how a ratio on too little traffic reads, in a
// check and in an incident criterion alike: "insufficient traffic (3 of 20
// requests)". Never a pass: a quiet write path tells nothing either way.
func InsufficientTraffic(volume, min float64) string {
	return fmt.Sprintf(insufficientTraffic+" (%s of %s requests)", formatNumber(volume), formatNumber(min))
}

const insufficientTraffic = "insufficient traffic"

// IsInsufficientTraffic says whether r is UNKNOWN only because its ratio
// was computed on too little traffic (and nothing else is wrong with it).
func IsInsufficientTraffic(r Result) bool {
	return r.Verdict == Unknown && strings.HasPrefix(r.Evidence.Reason, insufficientTraffic)
}

// policy answers for missing data or a failed query as the signal says.
func (t *ThresholdCheck) policy(p config.Policy, why string, now time.Time) (Verdict, string) {
	switch p {
	case config.PolicyFail:
		return Fail, why + " (policy fail)"
	case config.PolicyKeepLast:
		if !t.seen {
			return Unknown, why + " (keep_last: no earlier verdict)"
		}
		age := now.Sub(t.lastAt)
		if t.staleAfter > 0 && age > t.staleAfter {
			return Unknown, fmt.Sprintf("%s (keep_last: last verdict %s is stale: %s > %s)", why, t.last, FormatAge(age), ShortDuration(t.staleAfter))
		}
		return t.last, fmt.Sprintf("%s (keep_last: %s from %s ago)", why, t.last, FormatAge(age))
	default:
		return Unknown, why + " (policy hold)"
	}
}

// Level judges one value against sig's thresholds, without for: (FAIL
// past crit, WARN past warn, else PASS; a nil signal is PASS): what the
// screen colours a value with. The verdicts that hold gates come from a
// ThresholdCheck, which times the crit breach.
func Level(sig *config.Signal, v float64) Verdict {
	switch {
	case sig == nil:
		return Pass
	case sig.Direction.Breaches(v, sig.Crit):
		return Fail
	case sig.Direction.Breaches(v, sig.Warn):
		return Warn
	default:
		return Pass
	}
}

// rule renders "warn > 1%, crit > 2% for 5m (breached 1m10s)".
func (t *ThresholdCheck) rule(state string) string {
	cmp := t.sig.Direction.Operator()
	var parts []string
	if t.sig.Warn != nil {
		parts = append(parts, fmt.Sprintf("warn %s %s", cmp, FormatValue(*t.sig.Warn, t.sig.Unit)))
	}
	if t.sig.Crit != nil {
		c := fmt.Sprintf("crit %s %s", cmp, FormatValue(*t.sig.Crit, t.sig.Unit))
		if t.sig.For > 0 {
			c += " for " + ShortDuration(t.sig.For.D())
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "no threshold (informational)"
	}
	s := strings.Join(parts, ", ")
	if state != "" {
		s += " (" + state + ")"
	}
	return s
}
