package metrics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
)

// partLabel tells apart, in a round's batched answer, the series of each
// query it carries: label_replace sets it to the part's key ("value/<signal>",
// "fresh/<signal>", …) on every series of that query, and the answer is
// split back by it. Label names beginning with __ are reserved to
// Prometheus and dropped from every scraped series, so no series a signal's
// query returns can carry it already (which would merge two parts).
const partLabel = "__cockpit_part__"

// part is one query in a batched request: its key and the query wrapped so
// that each of its series carries the key. expr is "" for no query.
type part struct{ key, expr string }

// wrapPart wraps query to carry key, or reports that a batch cannot carry
// it: it does not parse (asked alone, its own request fails with
// Prometheus's words), or it is neither an instant vector nor a scalar (a
// range vector, a string: asked alone, it fails as it would alone). A
// scalar becomes vector(scalar), one series, as the sampler reads a scalar.
func wrapPart(p parser.Parser, key, query string) (part, bool) {
	expr, err := p.ParseExpr(query)
	if err != nil {
		return part{}, false
	}
	var vec string
	switch expr.Type() {
	case parser.ValueTypeVector:
		vec = "(" + query + ")"
	case parser.ValueTypeScalar:
		vec = "vector(" + query + ")"
	default:
		return part{}, false
	}
	return part{key: key, expr: fmt.Sprintf(`label_replace(%s, %q, %q, "", "")`, vec, partLabel, key)}, true
}

// batchPlan is how one signal rides in the round's batched requests: each
// of its queries as a part.
type batchPlan struct {
	value, volume, fresh part
	up, upFresh, series  part
	// metrics are the metric names its queries read: a warning Prometheus
	// gives on a batched request goes to the signals it names.
	metrics []string
}

// planBatch builds sig's batch plan, or nil when the batch cannot carry one
// of its queries: that signal is asked alone every round. shared maps a
// query already planned (by another signal: five share one first_event) to
// its part, so the batch asks it once.
func planBatch(p parser.Parser, sig *config.Signal, fresh freshness, exp *exporterPlan, shared map[string]part) *batchPlan {
	bp := &batchPlan{}
	ok := true
	add := func(dst *part, kind, query string) {
		if query == "" || !ok {
			return
		}
		bp.metrics = append(bp.metrics, metricNames(p, query)...)
		pt, seen := shared[query]
		if !seen {
			if pt, ok = wrapPart(p, kind+"/"+sig.Name, query); !ok {
				return
			}
			shared[query] = pt
		}
		*dst = pt
	}
	add(&bp.value, "value", sig.Query)
	add(&bp.volume, "volume", sig.VolumeQuery)
	add(&bp.fresh, "fresh", fresh.query)
	if exp != nil {
		add(&bp.up, "up", exp.up)
		add(&bp.upFresh, "upfresh", exp.upFresh.query)
		add(&bp.series, "seriesfresh", exp.series.query)
	}
	if !ok {
		return nil
	}
	return bp
}

// metricNames are the metric names query's selectors name.
func metricNames(p parser.Parser, query string) []string {
	expr, err := p.ParseExpr(query)
	if err != nil {
		return nil
	}
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// batchQuery is one batched request being assembled: its parts joined
// with `or` (each part's series carry their own key, so `or` drops none).
type batchQuery struct {
	exprs []string
	seen  map[string]bool
}

// add puts pt in the batch once; a part with no query is left out.
func (b *batchQuery) add(pt part) {
	if pt.expr == "" || b.seen[pt.key] {
		return
	}
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	b.seen[pt.key] = true
	b.exprs = append(b.exprs, pt.expr)
}

func (b *batchQuery) String() string { return strings.Join(b.exprs, " or ") }

// byPart splits a batched answer's series by their part key. A series
// without a known key means the answer is not what was asked: the batch
// fails, and its signals are asked alone.
func byPart[S ~[]E, E any](all S, metric func(E) model.Metric) (map[string]S, error) {
	out := map[string]S{}
	for _, e := range all {
		m := metric(e)
		key, ok := m[partLabel]
		if !ok {
			return nil, fmt.Errorf("the batched answer has a series of no part: %s", safetext.Clean(m.String()))
		}
		out[string(key)] = append(out[string(key)], e)
	}
	return out, nil
}

// batchError is a batched answer that cannot be split back.
func batchError(query string, err error) *QueryError {
	return &QueryError{Query: query, Msg: err.Error(), Err: err}
}

// askBatch asks every instant query of jobs (values and data times; volumes
// and exporters of those whose slow parts are due) in one request, and
// hands each job its answers. It fails as a whole: the caller then asks
// each signal alone.
func (s *Sampler) askBatch(ctx context.Context, jobs []*job, at time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	var b batchQuery
	var metrics []string
	for _, j := range jobs {
		bp := s.batch[j.name]
		b.add(bp.value)
		b.add(bp.fresh)
		if j.needSlow {
			for _, pt := range []part{bp.volume, bp.up, bp.upFresh, bp.series} {
				b.add(pt)
			}
		}
		metrics = append(metrics, bp.metrics...)
	}
	q := b.String()
	v, warnings, err := s.query(ctx, q, at)
	if err != nil {
		return err
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return batchError(q, fmt.Errorf("the batched query returned %s, not a vector", v.Type()))
	}
	parts, err := byPart(vec, func(smp *model.Sample) model.Metric { return smp.Metric })
	if err != nil {
		return batchError(q, err)
	}
	for _, j := range jobs {
		j.inst = s.fromBatch(j, parts, ownWarnings(warnings, s.batch[j.name].metrics, metrics), at)
	}
	return nil
}

// fromBatch reads one signal's answers out of the split batched answer.
// A part with no series is an empty vector: no value, no data time
// (silence), exactly as the same query asked alone.
func (s *Sampler) fromBatch(j *job, parts map[string]model.Vector, warnings v1.Warnings, at time.Time) asked {
	sig, bp, fresh := s.signals[j.name], s.batch[j.name], s.fresh[j.name]
	a := due(sig, fresh, j.needSlow)
	a.value = instantAnswer(sig.Query, parts[bp.value.key], warnings, sig.Direction)
	if a.askFresh {
		a.dataAt, a.dataErr = dataTime(parts[bp.fresh.key])
	}
	if a.askVolume {
		a.volume = instantAnswer(sig.VolumeQuery, parts[bp.volume.key], nil, config.Above)
	}
	if plan := s.exporters[j.name]; plan != nil && j.needSlow {
		a.askExporter = true
		x := exporterAnswers{up: instantAnswer(plan.up, parts[bp.up.key], nil, config.Above)}
		if plan.upFresh.query != "" {
			x.upAt, x.upErr = dataTime(parts[bp.upFresh.key])
		}
		if plan.series.query != "" {
			x.seriesAt, x.seriesErr = dataTime(parts[bp.series.key])
		}
		a.exporter = x.fold(plan, at)
	}
	return a
}

// ownWarnings are the warnings of a batched request that concern a signal
// reading mine: one that names a metric of the batch goes to the signals
// that read it, any other to every signal of the batch.
func ownWarnings(warnings v1.Warnings, mine, batch []string) v1.Warnings {
	var out v1.Warnings
	for _, w := range warnings {
		names := func(m string) bool { return strings.Contains(w, `"`+m+`"`) }
		if slices.ContainsFunc(mine, names) || !slices.ContainsFunc(batch, names) {
			out = append(out, w)
		}
	}
	return out
}

// askRangeBatch asks the windows of the jobs whose window moved a step in
// one range request and hands each its history. It fails as a whole.
func (s *Sampler) askRangeBatch(ctx context.Context, jobs []*job, at time.Time) error {
	var b batchQuery
	var want []*job
	for _, j := range jobs {
		if j.needRange {
			b.add(s.batch[j.name].value)
			want = append(want, j)
		}
	}
	if len(want) == 0 {
		return nil
	}
	q := b.String()
	m, err := s.rangeQuery(ctx, q, at)
	if err != nil {
		return err
	}
	parts, err := byPart(m, func(ss *model.SampleStream) model.Metric { return ss.Metric })
	if err != nil {
		return batchError(q, err)
	}
	for _, j := range want {
		j.history = worstPerStep(parts[s.batch[j.name].value.key], s.signals[j.name].Direction)
	}
	return nil
}
