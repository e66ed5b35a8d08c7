package alertrules

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// TestParseOnceAnswersAsAFreshParseAndKeepsItsTreesPristine runs each
// expression twice through an engine on parseOnce and once through one
// that parses every query, on the same inputs, as instant and range
// queries: the answers agree, and the trees parseOnce keeps are as parsed
// (the engine sorted, wrapped and filled only its copies).
func TestParseOnceAnswersAsAFreshParseAndKeepsItsTreesPristine(t *testing.T) {
	series := func(kv ...string) synthSeries { return synthSeries{lset: labels.FromStrings(kv...), counter: true} }
	in := inputs{series: []synthSeries{
		series("__name__", "req", "b", "2", "a", "x", "code", "500"),
		series("__name__", "req", "b", "1", "a", "y", "code", "200"),
		series("__name__", "up", "a", "x"),
	}, level: []float64{1, 10, 0.1}, steps: 40}
	exprs := []string{
		`sum by (b, a) (rate(req{code=~"5.."}[2m])) > 0`,
		`sum without (code) (increase(req[5m])) / on (a) group_left sum by (a) (increase(req[5m]))`,
		`max_over_time(sum(rate(req[1m]))[3m:15s]) > 0.01 and on () vector(time() > bool 60)`,
		`-clamp_min(sum(req offset 30s), 1) < 0 or (up offset 1m) * 2 or topk(1, req)`,
		`count_values("v", up) or label_replace(up, "z", "$1", "a", "(.*)")`,
	}
	kept := newParseOnce()
	once, fresh := evaluatorOn(kept), evaluatorOn(parser.NewParser(parser.Options{}))
	for _, expr := range exprs {
		want, err := answers(fresh, expr, in)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		for i := range 2 {
			if got, err := answers(once, expr, in); err != nil || got != want {
				t.Errorf("%s, query %d through parseOnce:\ngot  %s (%v)\nwant %s", expr, i+1, got, err, want)
			}
		}
		tree := kept.trees[expr]
		parsed, _ := parser.NewParser(parser.Options{}).ParseExpr(expr)
		if tree.String() != parsed.String() {
			t.Errorf("the kept tree of %s reads %s after the queries", expr, tree)
		}
		parser.Inspect(tree, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && (vs.Series != nil || vs.UnexpandedSeriesSet != nil) {
				t.Errorf("the kept tree of %s holds the series a query selected", expr)
			}
			if _, ok := n.(*parser.StepInvariantExpr); ok {
				t.Errorf("the kept tree of %s holds a query's step-invariant wrapping", expr)
			}
			return nil
		})
	}
}

// answers are expr's instant answer at the inputs' end and its range
// answer over them.
func answers(ev *evaluator, expr string, in inputs) (string, error) {
	v, err := ev.eval(expr, in, time.Duration(in.steps)*step)
	if err != nil {
		return "", err
	}
	steps, err := ev.activeSteps(expr, in)
	return fmt.Sprint(v, steps), err
}
