package alertrules

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

// plan is what a rule's cases are made of: inputs on which its expression
// holds to the end, inputs on which every part has data within its
// threshold (within holds) and the expression never does.
type plan struct {
	breach, below inputs
	within        string
	// low are inputs on which a guarded part breaches its threshold on
	// too little traffic, and the rule never fires (lowOK); unguarded is
	// that breach.
	low       inputs
	lowOK     bool
	unguarded string
}

// testCase is one promtool test: its inputs, the alerts expected at given
// times and the expression checks that prove each expectation is not
// vacuous (the condition holds before `for`; the data is there below the
// threshold).
type testCase struct {
	name   string
	in     inputs
	alerts []alertCheck
	exprs  []exprCheck
}

type alertCheck struct {
	at    time.Duration
	alert string
	exp   []labels.Labels
	notes [][2]string
}

type exprCheck struct {
	expr  string
	at    time.Duration
	count int
}

// casesFor are a rule's three cases: fires after `for` and not before,
// does not fire within the threshold, does not fire on no data. Every
// expectation is computed with Prometheus's engine on the same inputs.
func casesFor(ev *evaluator, r Rule, p plan) ([]testCase, error) {
	s0, holds, err := activeSince(ev, r.Expr, p.breach)
	if err != nil {
		return nil, err
	}
	fire := s0 + ceilStep(r.For) + step
	if end := time.Duration(p.breach.steps) * step; !holds || fire > end {
		return nil, fmt.Errorf("its condition does not hold from %s to %s", promDuration(s0), promDuration(end))
	}
	vec, err := ev.eval(r.Expr, p.breach, fire)
	if err != nil {
		return nil, err
	}
	fires := testCase{name: fmt.Sprintf("%s fires at %s (no for)", r.Alert, values(vec)), in: p.breach,
		alerts: []alertCheck{{at: fire, alert: r.Alert, exp: alertLabels(vec, r.Labels), notes: r.Annotations}}}
	if r.For > 0 {
		pre := fire - 2*step
		v, err := ev.eval(r.Expr, p.breach, pre)
		if err != nil {
			return nil, err
		}
		fires.name = fmt.Sprintf("%s fires at %s after its for %s, not before", r.Alert, values(vec), promDuration(r.For))
		fires.alerts = append(fires.alerts, alertCheck{at: pre, alert: r.Alert})
		fires.exprs = append(fires.exprs, exprCheck{expr: "count(" + r.Expr + ")", at: pre, count: len(v)})
	}
	bend := time.Duration(p.below.steps) * step
	w, err := ev.eval(p.within, p.below, bend)
	if err != nil {
		return nil, err
	}
	below := testCase{name: fmt.Sprintf("%s does not fire at %s, within the threshold", r.Alert, values(w)), in: p.below,
		alerts: []alertCheck{{at: bend, alert: r.Alert}}, exprs: []exprCheck{{expr: "count(" + p.within + ")", at: bend, count: len(w)}}}
	none := testCase{name: r.Alert + " does not fire on no data", in: inputs{steps: p.breach.steps},
		alerts: []alertCheck{{at: fire, alert: r.Alert}}}
	cases := []testCase{fires, below, none}
	if p.lowOK {
		lend := time.Duration(p.low.steps) * step
		u, err := ev.eval(p.unguarded, p.low, lend)
		if err != nil {
			return nil, err
		}
		cases = append(cases, testCase{name: fmt.Sprintf("%s does not fire at %s on too little traffic (min_requests)", r.Alert, values(u)),
			in: p.low, alerts: []alertCheck{{at: lend, alert: r.Alert}}, exprs: []exprCheck{{expr: "count(" + p.unguarded + ")", at: lend, count: len(u)}}})
	}
	return cases, nil
}

// activeSince is when expr last became true on in and stayed true to the
// inputs' end, scanning every evaluation step; holds is false when it
// does not hold at the end.
func activeSince(ev *evaluator, expr string, in inputs) (since time.Duration, holds bool, err error) {
	active, err := ev.activeSteps(expr, in)
	if err != nil {
		return 0, false, err
	}
	since = -1
	for j, a := range active {
		switch {
		case !a:
			since = -1
		case since < 0:
			since = time.Duration(j) * step
		}
	}
	return since, since >= 0, nil
}

// neverActive says whether expr holds at no evaluation step of in.
func neverActive(ev *evaluator, expr string, in inputs) (bool, error) {
	active, err := ev.activeSteps(expr, in)
	if err != nil {
		return false, err
	}
	return !slices.Contains(active, true), nil
}

// thresholdPlan searches the levels of the series synthesized from the
// rule's expression for inputs on which it fires and inputs within every
// threshold, trying Prometheus's engine on each; then it moves both close
// to the threshold, so the cases fire just above it and not just below.
func thresholdPlan(ev *evaluator, r Rule) (plan, error) {
	series, longest, err := synthesize(r.Expr)
	if err != nil {
		return plan{}, err
	}
	if math.Pow(float64(len(levels)), float64(len(series))) > maxSearch {
		return plan{}, fmt.Errorf("%d distinct selectors: too many to search inputs for", len(series))
	}
	steps := int((2*max(longest, lookback) + ceilStep(r.For) + 8*step) / step)
	p := plan{within: allWithin(r.parts), unguarded: unguarded(r.parts)}
	breaches, withins, lows, err := p.classify(ev, r, series, steps)
	if err != nil {
		return plan{}, err
	}
	for _, l := range lows {
		if ok, err := neverActive(ev, r.Expr, l); err != nil {
			return plan{}, err
		} else if ok {
			p.low, p.lowOK = l, true
			break
		}
	}
	switch {
	case len(breaches) == 0:
		return plan{}, fmt.Errorf("no synthesized input makes it fire")
	case len(withins) == 0:
		return plan{}, fmt.Errorf("no synthesized input keeps its data within the threshold")
	}
	tries := 0
	for _, w := range withins {
		for _, b := range breaches {
			if !samePresence(w, b) || tries >= maxRefine {
				continue
			}
			tries++
			if near, ok, err := p.nearThreshold(ev, r, w, b); err != nil || ok {
				return near, err
			}
		}
	}
	return p.firstUsable(ev, r, breaches, withins)
}

// maxRefine bounds the pairs nearThreshold tries.
const maxRefine = 8

// classify evaluates every assignment of levels at the inputs' end: those
// on which the rule fires, those on which every part is within, those on
// which a guarded part breaches on too little traffic.
func (p plan) classify(ev *evaluator, r Rule, series []synthSeries, steps int) (breaches, withins, lows []inputs, err error) {
	end := time.Duration(steps) * step
	combo := make([]int, len(series))
	for {
		in := inputs{series: series, level: make([]float64, len(series)), steps: steps}
		for i, c := range combo {
			in.level[i] = levels[c]
		}
		kind, err := p.kind(ev, r, in, end)
		if err != nil {
			return nil, nil, nil, err
		}
		switch kind {
		case kindBreach:
			breaches = append(breaches, in)
		case kindWithin:
			withins = append(withins, in)
		case kindLow:
			lows = append(lows, in)
		}
		if !next(combo, len(levels)) {
			return breaches, withins, lows, nil
		}
	}
}

// The kinds of inputs classify sorts.
const (
	kindNone = iota
	kindBreach
	kindWithin
	kindLow
)

// kind is what in is at t: the rule fires, every part is within, or a
// guarded part breaches on too little traffic.
func (p plan) kind(ev *evaluator, r Rule, in inputs, t time.Duration) (int, error) {
	for _, k := range []struct {
		expr string
		kind int
	}{{r.Expr, kindBreach}, {p.within, kindWithin}, {p.unguarded, kindLow}} {
		if k.expr == "" {
			continue
		}
		v, err := ev.eval(k.expr, in, t)
		if err != nil || len(v) > 0 {
			return k.kind, err
		}
	}
	return kindNone, nil
}

// nearThreshold bisects between within inputs w and breach inputs b (the
// same series present) for where the rule starts to fire, and takes inputs
// a little either side: a tenth of the way and at least 0.01 of it past
// the boundary, a tenth short of it. ok is false when the two do not
// both hold as cases (the boundary is not one threshold, or timing).
func (p plan) nearThreshold(ev *evaluator, r Rule, w, b inputs) (plan, bool, error) {
	end := time.Duration(w.steps) * step
	lo, hi := 0.0, 1.0
	for range 40 {
		mid := (lo + hi) / 2
		in := between(w, b, mid)
		v, err := ev.eval(r.Expr, in, end)
		if err != nil {
			return plan{}, false, err
		}
		if len(v) > 0 {
			hi = mid
			continue
		}
		if wv, err := ev.eval(p.within, in, end); err != nil || len(wv) == 0 {
			return plan{}, false, err
		}
		lo = mid
	}
	p.breach, p.below = between(w, b, min(1, max(hi*1.1, hi+0.01))), between(w, b, lo*0.9)
	ok, err := p.usable(ev, r)
	return p, ok, err
}

// usable says whether the breach inputs fire in time and the below inputs
// keep every part within and never fire.
func (p plan) usable(ev *evaluator, r Rule) (bool, error) {
	if ok, err := firesInTime(ev, r, p.breach); !ok || err != nil {
		return false, err
	}
	end := time.Duration(p.below.steps) * step
	if w, err := ev.eval(p.within, p.below, end); err != nil || len(w) == 0 {
		return false, err
	}
	return neverActive(ev, r.Expr, p.below)
}

// firstUsable is the first breach that fires in time and the first within
// that never fires, when no pair could be moved near the threshold.
func (p plan) firstUsable(ev *evaluator, r Rule, breaches, withins []inputs) (plan, error) {
	var found [2]bool
	for _, b := range breaches {
		if ok, err := firesInTime(ev, r, b); err != nil {
			return plan{}, err
		} else if ok {
			p.breach, found[0] = b, true
			break
		}
	}
	for _, w := range withins {
		if ok, err := neverActive(ev, r.Expr, w); err != nil {
			return plan{}, err
		} else if ok {
			p.below, found[1] = w, true
			break
		}
	}
	if !found[0] || !found[1] {
		return plan{}, fmt.Errorf("no synthesized input fires after its for, or none stays quiet within the threshold")
	}
	return p, nil
}

// firesInTime says whether the rule's expression holds on in from a step
// early enough to fire, `for` later, before the inputs end.
func firesInTime(ev *evaluator, r Rule, in inputs) (bool, error) {
	s0, holds, err := activeSince(ev, r.Expr, in)
	return holds && s0+ceilStep(r.For)+step <= time.Duration(in.steps)*step, err
}

// samePresence says whether the same series are present in a and b.
func samePresence(a, b inputs) bool {
	for i := range a.level {
		if (a.level[i] == absent) != (b.level[i] == absent) {
			return false
		}
	}
	return true
}

// between is w moved the fraction f of the way to b, each level rounded
// to four significant digits (what promtool is given is what the engine
// was).
func between(w, b inputs, f float64) inputs {
	in := inputs{series: w.series, level: make([]float64, len(w.level)), steps: w.steps}
	for i := range w.level {
		if w.level[i] == absent {
			in.level[i] = absent
			continue
		}
		in.level[i] = round4(w.level[i] + f*(b.level[i]-w.level[i]))
	}
	return in
}

func round4(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return r
}

// next advances combo as a number in base n; false after the last.
func next(combo []int, n int) bool {
	for i := range combo {
		combo[i]++
		if combo[i] < n {
			return true
		}
		combo[i] = 0
	}
	return false
}

// selfPlan feeds the cockpit's own series: the criterion firing, and the
// criterion inactive.
func selfPlan(r Rule, env string) plan {
	state := func(s string) synthSeries {
		return synthSeries{lset: labels.FromStrings(labels.MetricName, "cockpit_incident_state", "env", env,
			"incident", r.self, "state", s, "instance", "cockpit:9100", "job", "cockpit")}
	}
	series := []synthSeries{state("firing"), state("inactive")}
	steps := int(10 * time.Minute / step)
	return plan{
		breach: inputs{series: series, level: []float64{1, 0}, steps: steps},
		below:  inputs{series: series, level: []float64{0, 1}, steps: steps},
		within: selfExpr(env, r.self, "firing") + " == 0",
	}
}

// alertLabels are the alerts a firing rule makes from the vector its
// expression returned: each sample's labels without the metric name, the
// rule's labels over them.
func alertLabels(vec promql.Vector, ruleLabels [][2]string) []labels.Labels {
	out := make([]labels.Labels, 0, len(vec))
	for _, s := range vec {
		b := labels.NewBuilder(s.Metric).Del(labels.MetricName)
		for _, kv := range ruleLabels {
			b.Set(kv[0], kv[1])
		}
		out = append(out, b.Labels())
	}
	slices.SortFunc(out, labels.Compare)
	return out
}

func ceilStep(d time.Duration) time.Duration {
	return (d + step - 1) / step * step
}

// seriesNotation writes a label set as promtool's input series:
// name{label="value", ...}.
func seriesNotation(lset labels.Labels) string {
	var parts []string
	lset.Range(func(l labels.Label) {
		if l.Name != labels.MetricName {
			parts = append(parts, fmt.Sprintf("%s=%q", l.Name, l.Value))
		}
	})
	return lset.Get(labels.MetricName) + "{" + strings.Join(parts, ", ") + "}"
}

// values are a vector's values, three significant digits each.
func values(vec promql.Vector) string {
	vs := make([]string, len(vec))
	for i, s := range vec {
		vs[i] = strconv.FormatFloat(s.F, 'g', 3, 64)
	}
	return strings.Join(vs, ", ")
}
