package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/internal/skew"
)

// selectorLabel tells the selectors apart in the freshness query, so that
// `or` keeps one newest timestamp per selector for the outer min().
const selectorLabel = "cockpit_selector"

// freshness is what the sampler learns once, at start, from a signal's
// queries: the one instant query that answers when the signal's data was
// taken, and how far back the signal reads.
type freshness struct {
	// query is min over the selectors of each selector's newest sample
	// time, in seconds; "" when the queries select no series (vector(1)).
	query string
	// window is the longest span of data one evaluation reads (range plus
	// enclosing subquery ranges plus offsets), 0 for instant selectors only.
	window time.Duration
}

// selectorData is one vector selector as the freshness query reads it.
type selectorData struct {
	selector string        // the selector without offset or @
	offset   time.Duration // its own offset plus its enclosing subqueries'
	span     time.Duration // its range plus its enclosing subqueries' ranges
}

// planFreshness parses queries (a signal's query and volume query) and
// builds their freshness query. A query that does not parse yields no plan
// for its selectors: its value query fails with the parser's message anyway.
//
// Selectors pinned with @ read a fixed instant whose age says nothing about
// the pipeline, so they count neither for the data time nor for the window.
func planFreshness(p parser.Parser, queries ...string) freshness {
	var (
		sels []selectorData
		f    freshness
	)
	for _, q := range queries {
		if q == "" {
			continue
		}
		expr, err := p.ParseExpr(q)
		if err != nil {
			continue
		}
		parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			if d, pinned := readSelector(vs, path); !pinned {
				f.window = max(f.window, d.offset+d.span)
				sels = append(sels, d)
			}
			return nil
		})
	}
	f.query = freshnessQuery(sels)
	return f
}

// readSelector sums the ranges and offsets that apply to vs along its path
// from the root, and reports whether vs or an enclosing subquery is pinned
// with @.
func readSelector(vs *parser.VectorSelector, path []parser.Node) (selectorData, bool) {
	d := selectorData{offset: vs.OriginalOffset}
	pinned := vs.Timestamp != nil || vs.StartOrEnd != 0
	for _, n := range path {
		switch a := n.(type) {
		case *parser.MatrixSelector:
			d.span += a.Range
		case *parser.SubqueryExpr:
			d.span += a.Range
			d.offset += a.OriginalOffset
			pinned = pinned || a.Timestamp != nil || a.StartOrEnd != 0
		}
	}
	bare := *vs
	bare.OriginalOffset, bare.OriginalOffsetExpr, bare.Offset = 0, nil, 0
	bare.Timestamp, bare.StartOrEnd = nil, 0
	d.selector = bare.String()
	return d, pinned
}

// freshnessQuery combines the selectors into one expression:
//
//	min(label_replace(<newest of a>, "cockpit_selector", "0", "", "") or …)
//
// The newest sample of a selector is max(timestamp(sel)), the time of the
// sample an instant selector reads. A selector read over a range also reads
// samples behind a stale marker (the target went down) or past the lookback
// delta, which timestamp(sel) no longer sees; for those the newest sample
// within the range is found by a subquery, to within its step (subqueryStep).
// A selector with no series at all yields nothing and so does not count.
func freshnessQuery(sels []selectorData) string {
	seen := map[string]bool{}
	var parts []string
	for _, d := range sels {
		e := newestSample(d)
		if seen[e] {
			continue
		}
		seen[e] = true
		parts = append(parts, fmt.Sprintf("label_replace(%s, %q, %q, \"\", \"\")", e, selectorLabel, strconv.Itoa(len(parts))))
	}
	if len(parts) == 0 {
		return ""
	}
	return "min(" + strings.Join(parts, " or ") + ")"
}

// newestSample is the expression for the newest sample time of one
// selector, shifted by its offset so that data exactly as old as the offset
// asks for reads as fresh.
func newestSample(d selectorData) string {
	sel := d.selector
	if d.offset != 0 {
		sel += " offset " + promDuration(d.offset)
	}
	e := "max(timestamp(" + sel + "))"
	if d.span > 0 {
		e = fmt.Sprintf("(%s or max_over_time(%s[%s:%s]))", e, e, promDuration(d.span), promDuration(subqueryStep(d.span)))
	}
	if d.offset != 0 {
		e += " + " + strconv.FormatFloat(d.offset.Seconds(), 'f', -1, 64)
	}
	return e
}

// subqueryStep is the resolution at which the newest sample behind a stale
// marker is found: a second for ranges up to 5m, 300 steps for longer ones.
// The steps are aggregated to one series before the subquery keeps them, so
// their cost in memory does not grow with the number of series.
func subqueryStep(span time.Duration) time.Duration {
	return max((span / 300).Round(time.Second), time.Second)
}

// promDuration renders d in PromQL's syntax; a negative offset keeps its sign.
func promDuration(d time.Duration) string {
	if d < 0 {
		return "-" + model.Duration(-d).String()
	}
	return model.Duration(d).String()
}

// dataTime reads the freshness query's answer: one sample whose value is a
// Unix time in seconds. No sample (no selector has series) is the zero time.
func dataTime(v model.Value) (time.Time, error) {
	vec, ok := v.(model.Vector)
	if !ok {
		return time.Time{}, fmt.Errorf("freshness query returned %s, not a vector", v.Type())
	}
	if len(vec) == 0 {
		return time.Time{}, nil
	}
	sec := float64(vec[0].Value)
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return time.Time{}, fmt.Errorf("freshness query returned %v", sec)
	}
	return time.UnixMilli(int64(math.Round(sec * 1000))), nil
}

// Future is why s cannot be judged at now when it is dated more than
// allowed after it (its evaluation, or its data: a clock ahead of this
// one, a backend that answers from the future): its age would read as
// zero, fresh, whatever the world it describes. A future sample is
// UNKNOWN, never fresh, whatever the signal's policies. Nil otherwise;
// allowed <= 0 is skew.Default.
func (s Sample) Future(now time.Time, allowed time.Duration) error {
	if err := skew.Check("sample", s.At, now, allowed); err != nil {
		return err
	}
	return skew.Check("sample data", s.DataAt, now, allowed)
}
