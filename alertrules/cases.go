package alertrules

import (
	"fmt"
	"math"
	"slices"
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
	s0, err := activeSince(ev, r.Expr, p.breach)
	if err != nil {
		return nil, err
	}
	fire := s0 + ceilStep(r.For) + step
	end := time.Duration(p.breach.steps) * step
	if fire > end {
		return nil, fmt.Errorf("the condition first holds at %s, too late to fire by %s", promDuration(s0), promDuration(end))
	}
	vec, err := ev.eval(r.Expr, p.breach, fire)
	if err != nil {
		return nil, err
	}
	fires := testCase{name: fmt.Sprintf("%s fires once its condition held for %s", r.Alert, promDuration(r.For)), in: p.breach,
		alerts: []alertCheck{{at: fire, alert: r.Alert, exp: alertLabels(vec, r.Labels), notes: r.Annotations}}}
	if r.For > 0 {
		pre := fire - 2*step
		v, err := ev.eval(r.Expr, p.breach, pre)
		if err != nil {
			return nil, err
		}
		fires.name = fmt.Sprintf("%s fires after its for %s, not before", r.Alert, promDuration(r.For))
		fires.alerts = append(fires.alerts, alertCheck{at: pre, alert: r.Alert})
		fires.exprs = append(fires.exprs, exprCheck{expr: "count(" + r.Expr + ")", at: pre, count: len(v)})
	}
	bend := time.Duration(p.below.steps) * step
	w, err := ev.eval(p.within, p.below, bend)
	if err != nil {
		return nil, err
	}
	below := testCase{name: r.Alert + " does not fire while its data is within the threshold", in: p.below,
		alerts: []alertCheck{{at: bend, alert: r.Alert}}, exprs: []exprCheck{{expr: "count(" + p.within + ")", at: bend, count: len(w)}}}
	none := testCase{name: r.Alert + " does not fire on no data", in: inputs{steps: p.breach.steps},
		alerts: []alertCheck{{at: fire, alert: r.Alert}}}
	return []testCase{fires, below, none}, nil
}

// activeSince is when expr last became true on in and stayed true to the
// inputs' end, scanning every evaluation step; an error when it does not
// hold at the end.
func activeSince(ev *evaluator, expr string, in inputs) (time.Duration, error) {
	since := time.Duration(-1)
	for j := 0; j <= in.steps; j++ {
		t := time.Duration(j) * step
		v, err := ev.eval(expr, in, t)
		if err != nil {
			return 0, err
		}
		switch {
		case len(v) == 0:
			since = -1
		case since < 0:
			since = t
		}
	}
	if since < 0 {
		return 0, fmt.Errorf("the condition does not hold at the inputs' end")
	}
	return since, nil
}

// neverActive says whether expr holds at no evaluation step of in.
func neverActive(ev *evaluator, expr string, in inputs) (bool, error) {
	for j := 0; j <= in.steps; j++ {
		v, err := ev.eval(expr, in, time.Duration(j)*step)
		if err != nil || len(v) > 0 {
			return false, err
		}
	}
	return true, nil
}

// thresholdPlan searches the levels of the series synthesized from the
// rule's expression for inputs on which it fires and inputs within every
// threshold, trying Prometheus's engine on each.
func thresholdPlan(ev *evaluator, r Rule) (plan, error) {
	series, longest, err := synthesize(r.Expr)
	if err != nil {
		return plan{}, err
	}
	if math.Pow(float64(len(levels)), float64(len(series))) > maxSearch {
		return plan{}, fmt.Errorf("%d distinct selectors: too many to search inputs for", len(series))
	}
	steps := int((2*max(longest, lookback) + ceilStep(r.For) + 8*step) / step)
	p := plan{within: allWithin(r.parts)}
	var found [2]bool
	combo := make([]int, len(series))
	for {
		in := inputs{series: series, level: make([]float64, len(series)), steps: steps}
		for i, c := range combo {
			in.level[i] = levels[c]
		}
		if err := p.try(ev, r, in, &found); err != nil {
			return plan{}, err
		}
		if found[0] && found[1] {
			return p, nil
		}
		if !next(combo, len(levels)) {
			break
		}
	}
	if !found[0] {
		return plan{}, fmt.Errorf("no synthesized input makes it fire")
	}
	return plan{}, fmt.Errorf("no synthesized input keeps its data within the threshold")
}

// try keeps in as the breach or the below inputs when it is one.
func (p *plan) try(ev *evaluator, r Rule, in inputs, found *[2]bool) error {
	end := time.Duration(in.steps) * step
	v, err := ev.eval(r.Expr, in, end)
	if err != nil {
		return err
	}
	if len(v) > 0 && !found[0] {
		if s0, err := activeSince(ev, r.Expr, in); err == nil && s0+ceilStep(r.For)+step <= end {
			p.breach, found[0] = in, true
		}
		return nil
	}
	if len(v) > 0 || found[1] {
		return nil
	}
	w, err := ev.eval(p.within, in, end)
	if err != nil || len(w) == 0 {
		return err
	}
	if ok, err := neverActive(ev, r.Expr, in); ok {
		p.below, found[1] = in, true
	} else if err != nil {
		return err
	}
	return nil
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
