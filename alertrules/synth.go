package alertrules

import (
	"context"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// step is the input series' interval and the rule evaluation interval of
// the generated tests.
const step = 15 * time.Second

// lookback is Prometheus's (and promtool's) default lookback delta.
const lookback = 5 * time.Minute

// levels are the per-step increments (counters) or values (gauges) a
// synthesized series is tried with; absent leaves the series out.
var levels = []float64{absent, 0, 10, 1, 0.1}

const absent = -1

// maxSearch bounds the assignments tried for one rule.
const maxSearch = 5 * 5 * 5 * 5 * 5

// synthSeries is one input series made to match a selector of the query.
type synthSeries struct {
	lset    labels.Labels
	counter bool // read through a range (rate, increase): it grows by its level each step
}

// inputs are synthesized series with one level each.
type inputs struct {
	series []synthSeries
	level  []float64
	steps  int // samples 0..steps, one each step
}

// synthesize makes one series for every distinct selector of expr: each
// satisfies its selector's matchers (an equality's value, a string the
// regexp matches, anything a negative matcher allows).
func synthesize(expr string) ([]synthSeries, time.Duration, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, 0, fmt.Errorf("parsing %s: %w", expr, err)
	}
	var out []synthSeries
	var longest time.Duration
	var serr error
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			longest = max(longest, n.Range)
		case *parser.SubqueryExpr:
			longest = max(longest, n.Range)
		case *parser.VectorSelector:
			lset, err := seriesFor(n.LabelMatchers)
			if err != nil {
				serr = errors.Join(serr, fmt.Errorf("selector %s: %w", n, err))
				return nil
			}
			counter := slices.ContainsFunc(path, func(p parser.Node) bool {
				_, m := p.(*parser.MatrixSelector)
				_, s := p.(*parser.SubqueryExpr)
				return m || s
			})
			i := slices.IndexFunc(out, func(s synthSeries) bool { return labels.Equal(s.lset, lset) })
			if i < 0 {
				out = append(out, synthSeries{lset: lset, counter: counter})
			} else if counter {
				out[i].counter = true
			}
		}
		return nil
	})
	if serr != nil {
		return nil, 0, serr
	}
	return out, longest, nil
}

// seriesFor is a label set every matcher accepts.
func seriesFor(ms []*labels.Matcher) (labels.Labels, error) {
	byName := map[string][]*labels.Matcher{}
	var names []string
	for _, m := range ms {
		if _, ok := byName[m.Name]; !ok {
			names = append(names, m.Name)
		}
		byName[m.Name] = append(byName[m.Name], m)
	}
	b := labels.NewScratchBuilder(len(names))
	for _, name := range names {
		v, ok := valueFor(byName[name])
		if !ok {
			return labels.EmptyLabels(), fmt.Errorf("no value of %s satisfies %v", name, byName[name])
		}
		if v != "" {
			b.Add(name, v)
		}
	}
	b.Sort()
	lset := b.Labels()
	if lset.Get(labels.MetricName) == "" {
		return lset, fmt.Errorf("no metric name")
	}
	return lset, nil
}

// valueFor is the first candidate every matcher of one label accepts: ""
// (the label absent), an equality's value, strings the regexps match, and
// a few values no negative matcher is likely to refuse.
func valueFor(ms []*labels.Matcher) (string, bool) {
	candidates := []string{""}
	for _, m := range ms {
		switch m.Type {
		case labels.MatchEqual:
			candidates = append(candidates, m.Value)
		case labels.MatchRegexp:
			candidates = append(candidates, regexpExamples(m.Value)...)
		}
	}
	candidates = append(candidates, "x", "200", "cockpit")
	for _, c := range candidates {
		if !slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return !m.Matches(c) }) {
			return c, true
		}
	}
	return "", false
}

// regexpExamples are strings the regexp may match: one per top-level
// alternative, each built from the first choice of every part.
func regexpExamples(re string) []string {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil
	}
	r = r.Simplify()
	if r.Op == syntax.OpAlternate {
		out := make([]string, len(r.Sub))
		for i, s := range r.Sub {
			out[i] = example(s)
		}
		return out
	}
	return []string{example(r)}
}

func example(r *syntax.Regexp) string {
	switch r.Op {
	case syntax.OpLiteral:
		return string(r.Rune)
	case syntax.OpCharClass:
		if len(r.Rune) > 0 {
			return string(r.Rune[0])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return "x"
	case syntax.OpCapture, syntax.OpPlus, syntax.OpAlternate:
		return example(r.Sub[0])
	case syntax.OpRepeat:
		return strings.Repeat(example(r.Sub[0]), r.Min)
	case syntax.OpConcat:
		var b strings.Builder
		for _, s := range r.Sub {
			b.WriteString(example(s))
		}
		return b.String()
	}
	return "" // star, quest, anchors, empty
}

// evaluator runs PromQL on synthesized inputs with Prometheus's own engine.
type evaluator struct {
	engine *promql.Engine
}

func newEvaluator() *evaluator { return evaluatorOn(newParseOnce()) }

// evaluatorOn is an evaluator whose engine parses with p.
func evaluatorOn(p parser.Parser) *evaluator {
	return &evaluator{engine: promql.NewEngine(promql.EngineOpts{
		Parser: p, MaxSamples: 5e6, Timeout: time.Minute, LookbackDelta: lookback})}
}

// eval is expr at t (from the Unix epoch, as promtool counts) over in.
func (ev *evaluator) eval(expr string, in inputs, t time.Duration) (promql.Vector, error) {
	qry, err := ev.engine.NewInstantQuery(context.Background(), in.queryable(), nil, expr, time.Unix(0, 0).Add(t))
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(context.Background())
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{{F: v.V, T: v.T}}, nil
	}
	return nil, fmt.Errorf("%s answered a %s", expr, res.Value.Type())
}

// activeSteps says, for each evaluation step 0..in.steps, whether expr
// returns anything there: one range query, which Prometheus evaluates as
// an instant query at each step, instead of one query per step.
func (ev *evaluator) activeSteps(expr string, in inputs) ([]bool, error) {
	start := time.Unix(0, 0)
	qry, err := ev.engine.NewRangeQuery(context.Background(), in.queryable(), nil, expr, start, start.Add(time.Duration(in.steps)*step), step)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(context.Background())
	if res.Err != nil {
		return nil, res.Err
	}
	m, ok := res.Value.(promql.Matrix)
	if !ok {
		return nil, fmt.Errorf("%s answered a %s over a range", expr, res.Value.Type())
	}
	active := make([]bool, in.steps+1)
	mark := func(ts int64) { active[ts/step.Milliseconds()] = true }
	for _, s := range m {
		for _, p := range s.Floats {
			mark(p.T)
		}
		for _, p := range s.Histograms {
			mark(p.T)
		}
	}
	return active, nil
}

// queryable is the storage the engine reads: in's series.
func (in inputs) queryable() storage.Queryable {
	return storage.QueryableFunc(func(int64, int64) (storage.Querier, error) {
		return &storage.MockQuerier{SelectMockFunction: in.selectFn}, nil
	})
}

// selectFn is the storage the engine reads: the present series matching.
func (in inputs) selectFn(sortSeries bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for i, s := range in.series {
		if in.level[i] == absent || slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return !m.Matches(s.lset.Get(m.Name)) }) {
			continue
		}
		samples := make([]chunks.Sample, in.steps+1)
		for j := range samples {
			samples[j] = sample{t: (time.Duration(j) * step).Milliseconds(), f: in.value(i, j)}
		}
		out = append(out, storage.NewListSeries(s.lset, samples))
	}
	if sortSeries {
		slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	}
	return &seriesList{list: out, i: -1}
}

// value is series i's sample j.
func (in inputs) value(i, j int) float64 {
	if in.series[i].counter {
		return float64(j) * in.level[i]
	}
	return in.level[i]
}

// notation is series i's values in promtool's expanding notation.
func (in inputs) notation(i int) string {
	if in.series[i].counter {
		return fmt.Sprintf("0+%sx%d", formatFloat(in.level[i]), in.steps)
	}
	return fmt.Sprintf("%s+0x%d", formatFloat(in.level[i]), in.steps)
}

// sample is one float sample.
type sample struct {
	t int64
	f float64
}

func (s sample) T() int64                    { return s.t }
func (s sample) F() float64                  { return s.f }
func (sample) ST() int64                     { return 0 }
func (sample) H() *histogram.Histogram       { return nil }
func (sample) FH() *histogram.FloatHistogram { return nil }
func (sample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s sample) Copy() chunks.Sample         { return s }

// seriesList is a storage.SeriesSet over a slice.
type seriesList struct {
	list []storage.Series
	i    int
}

func (s *seriesList) Next() bool                      { s.i++; return s.i < len(s.list) }
func (s *seriesList) At() storage.Series              { return s.list[s.i] }
func (*seriesList) Err() error                        { return nil }
func (*seriesList) Warnings() annotations.Annotations { return nil }
