package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
)

// answer is what one query returned.
type answer struct {
	value    float64
	has      bool
	series   int
	warnings []string
	err      error
}

// asked is what one signal's queries answered in a round, whether they
// went in the round's batched request or alone: the value and the data time
// always, the volume and exporter when asked (the slow parts), the window
// when asked.
type asked struct {
	slow        bool // the slow parts were due
	value       answer
	askFresh    bool
	dataAt      time.Time
	dataErr     error
	askVolume   bool
	volume      answer
	askExporter bool
	exporter    Exporter
	askRange    bool
	history     []Point
	histErr     error
}

// failed says whether any query the round asked for the signal failed.
func (a *asked) failed() bool {
	return a.value.err != nil || a.dataErr != nil || a.volume.err != nil || a.exporter.Err != nil || a.histErr != nil
}

// due is what a round asks of sig: its value and its data time, and the
// slow parts it has when needSlow. The data time is asked every round, in
// the same request as the value: the age shown is then the data's own at
// the round's time, not one read fifths of stale_after ago and grown since.
func due(sig *config.Signal, fresh freshness, needSlow bool) asked {
	return asked{slow: needSlow, askFresh: fresh.query != "", askVolume: sig.VolumeQuery != "" && needSlow}
}

// askAlone sends one signal's instant queries, each its own request,
// concurrently: its value and data time, and the slow parts (request
// volume, exporter liveness) when needSlow.
func (s *Sampler) askAlone(ctx context.Context, sig *config.Signal, fresh freshness, at time.Time, needSlow bool) asked {
	var wg sync.WaitGroup
	a := due(sig, fresh, needSlow)
	wg.Go(func() { a.value = s.instant(ctx, sig.Query, sig.Direction, at) })
	if a.askFresh {
		wg.Go(func() { a.dataAt, a.dataErr = s.dataTime(ctx, fresh.query, at) })
	}
	if a.askVolume {
		wg.Go(func() { a.volume = s.instant(ctx, sig.VolumeQuery, config.Above, at) })
	}
	if plan := s.exporters[sig.Name]; plan != nil && needSlow {
		a.askExporter = true
		wg.Go(func() { a.exporter = s.exporter(ctx, plan, at) })
	}
	wg.Wait()
	return a
}

// fold turns what a round asked into the signal's next sample. A failed
// value query keeps the previous value with its evaluation and data times,
// so the sample ages instead of lying; a failed data-time query keeps the
// previous data time, which then ages; a skipped volume query
// keeps the previous volume (an increase over minutes moves slowly). It
// reports whether the window and the slow parts were refreshed.
func (s *Sampler) fold(sig *config.Signal, fresh freshness, prev Sample, at time.Time, a *asked) (next Sample, rangeOK, slowOK bool) {
	next = prev
	next.Signal, next.Query, next.Window = sig.Name, sig.Query, fresh.window
	next.Warnings = a.value.warnings
	if a.askExporter {
		// asked even when the value query failed: a later tick's value
		// may lean on it; between asks it ages
		next.Exporter = a.exporter
	}
	if a.value.err != nil {
		next.Err = a.value.err
		return next, false, false
	}
	next.Value, next.HasValue, next.Series, next.At, next.Err = a.value.value, a.value.has, a.value.series, at, nil
	switch {
	case fresh.query == "":
		next.DataAt, next.Silent = time.Time{}, false
	case a.dataErr != nil:
		next.Warnings = append(next.Warnings, "data time: "+a.dataErr.Error()+"; keeping the previous one")
	default:
		// No sample behind any selector is silence, never fresh data.
		next.DataAt, next.Silent = a.dataAt, a.dataAt.IsZero()
	}
	if sig.Series != "any" && a.value.series > 1 {
		next.Warnings = append(next.Warnings, fmt.Sprintf("%d series where one is expected; showing the worst", a.value.series))
	}
	if a.askVolume {
		next.Warnings = append(next.Warnings, a.volume.warnings...)
		next.Volume, next.HasVolume = a.volume.value, a.volume.has
		if a.volume.err != nil {
			next.Err = fmt.Errorf("volume query: %w", a.volume.err)
		}
	}
	slowOK = a.slow && a.volume.err == nil
	switch {
	case a.askRange && a.histErr == nil:
		next.History = a.history
		return next, true, slowOK
	case a.askRange:
		next.Warnings = append(next.Warnings, "history: "+a.histErr.Error())
	}
	if s.o.Window > 0 && next.HasValue {
		next.History = appendPoint(prev.History, Point{T: at, V: next.Value}, at.Add(-s.o.Window))
	}
	return next, false, slowOK
}

// appendPoint returns a new slice (snapshots share the old one) holding the
// points of h not older than from, then p.
func appendPoint(h []Point, p Point, from time.Time) []Point {
	i := 0
	for i < len(h) && h[i].T.Before(from) {
		i++
	}
	out := make([]Point, 0, len(h)-i+1)
	out = append(out, h[i:]...)
	return append(out, p)
}

// query runs one instant query at at, in a query slot, under its own timeout.
func (s *Sampler) query(ctx context.Context, query string, at time.Time) (model.Value, v1.Warnings, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, nil, queryError(query, err)
	}
	defer s.release()
	ctx, cancel := context.WithTimeout(ctx, s.o.QueryTimeout)
	defer cancel()
	v, warnings, _, err := s.api.Query(ctx, query, at, v1.WithTimeout(promTimeout(s.o.QueryTimeout)))
	if err != nil {
		return nil, warnings, queryError(query, err)
	}
	return v, warnings, nil
}

// instant runs a value query and reduces it to the worst series.
func (s *Sampler) instant(ctx context.Context, query string, direction config.Direction, at time.Time) answer {
	v, warnings, err := s.query(ctx, query, at)
	if err != nil {
		return answer{err: err, warnings: warnings}
	}
	return instantAnswer(query, v, warnings, direction)
}

// instantAnswer reduces query's answer v to the worst series, with
// Prometheus's warnings on it.
func instantAnswer(query string, v model.Value, warnings v1.Warnings, direction config.Direction) answer {
	a := reduce(v, direction)
	// Prometheus's warnings are outside text: cleaned before anyone shows them.
	cleaned := make([]string, 0, len(warnings)+len(a.warnings))
	for _, w := range warnings {
		cleaned = append(cleaned, safetext.Clean(w))
	}
	a.warnings = append(cleaned, a.warnings...)
	if a.err != nil {
		a.err = &QueryError{Query: query, Msg: a.err.Error(), Err: a.err}
	}
	return a
}

// dataTime runs a signal's freshness query: when its newest data was taken.
func (s *Sampler) dataTime(ctx context.Context, query string, at time.Time) (time.Time, error) {
	v, _, err := s.query(ctx, query, at)
	if err != nil {
		return time.Time{}, err
	}
	return dataTime(v)
}

// history runs the range query that fills one signal's sparkline window.
func (s *Sampler) history(ctx context.Context, query string, direction config.Direction, at time.Time) ([]Point, error) {
	m, err := s.rangeQuery(ctx, query, at)
	if err != nil {
		return nil, err
	}
	return worstPerStep(m, direction), nil
}

// rangeQuery runs one range query over the window ending at at, in a query
// slot, under its own timeout.
func (s *Sampler) rangeQuery(ctx context.Context, query string, at time.Time) (model.Matrix, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, queryError(query, err)
	}
	defer s.release()
	ctx, cancel := context.WithTimeout(ctx, s.o.QueryTimeout)
	defer cancel()
	r := v1.Range{Start: at.Add(-s.o.Window), End: at, Step: s.o.Step}
	v, _, _, err := s.api.QueryRange(ctx, query, r, v1.WithTimeout(promTimeout(s.o.QueryTimeout)))
	if err != nil {
		return nil, queryError(query, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query returned %s, not a matrix", v.Type())
	}
	return m, nil
}

// reduce turns an instant query's result into one value: the worst series
// for the signal's direction, so that one bad shard is never averaged away.
func reduce(v model.Value, direction config.Direction) answer {
	var vals []float64
	switch r := v.(type) {
	case model.Vector:
		for _, smp := range r {
			vals = append(vals, float64(smp.Value))
		}
	case *model.Scalar:
		vals = []float64{float64(r.Value)}
	case model.Matrix:
		return answer{err: errors.New("the query returns a range vector; wrap it in a function such as rate() or max_over_time()")}
	default:
		return answer{err: fmt.Errorf("the query returns a %s, not a number", v.Type())}
	}
	a := answer{series: len(vals)}
	nan := 0
	for _, x := range vals {
		if math.IsNaN(x) {
			nan++
			continue
		}
		if !a.has || direction.Worse(x, a.value) {
			a.value, a.has = x, true
		}
	}
	if nan > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("%d of %d series are NaN (0/0: no traffic?); NaN is no value", nan, len(vals)))
	}
	return a
}

// worstPerStep folds a matrix into one series, the worst value per timestamp.
func worstPerStep(m model.Matrix, direction config.Direction) []Point {
	byT := map[model.Time]float64{}
	var order []model.Time
	for _, ss := range m {
		for _, p := range ss.Values {
			x := float64(p.Value)
			if math.IsNaN(x) {
				continue
			}
			old, seen := byT[p.Timestamp]
			if !seen {
				order = append(order, p.Timestamp)
			}
			if !seen || direction.Worse(x, old) {
				byT[p.Timestamp] = x
			}
		}
	}
	slices.Sort(order)
	out := make([]Point, 0, len(order))
	for _, t := range order {
		out = append(out, Point{T: t.Time(), V: byT[t]})
	}
	return out
}
