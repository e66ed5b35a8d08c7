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

// sample runs one signal's queries concurrently (its value; the slow
// parts, data time and request volume, when needSlow; its window when
// needRange) and folds them into the next sample. A failed value query
// keeps the previous value with its evaluation and data times, so the
// sample ages instead of lying; a failed or skipped data-time query keeps
// the previous data time, which then ages; a skipped volume query keeps the
// previous volume (an increase over minutes moves slowly). It reports
// whether the window and the slow parts were refreshed.
func (s *Sampler) sample(ctx context.Context, sig *config.Signal, fresh freshness, prev Sample, at time.Time, needRange, needSlow bool) (next Sample, rangeOK, slowOK bool) {
	var (
		wg            sync.WaitGroup
		value, volume answer
		dataAt        time.Time
		dataErr       error
		history       []Point
		histErr       error
	)
	wg.Go(func() { value = s.instant(ctx, sig.Query, sig.Direction, at) })
	askFresh := fresh.query != "" && needSlow
	if askFresh {
		wg.Go(func() { dataAt, dataErr = s.dataTime(ctx, fresh.query, at) })
	}
	askVolume := sig.VolumeQuery != "" && needSlow
	if askVolume {
		wg.Go(func() { volume = s.instant(ctx, sig.VolumeQuery, "above", at) })
	}
	var exporter Exporter
	plan := s.exporters[sig.Name]
	if plan != nil && needSlow {
		wg.Go(func() { exporter = s.exporter(ctx, plan, at) })
	}
	if needRange {
		wg.Go(func() { history, histErr = s.history(ctx, sig.Query, sig.Direction, at) })
	}
	wg.Wait()

	next = prev
	next.Signal, next.Query, next.Window = sig.Name, sig.Query, fresh.window
	next.Warnings = value.warnings
	if plan != nil && needSlow {
		// asked even when the value query failed: a later tick's value
		// may lean on it; between asks it ages
		next.Exporter = exporter
	}
	if value.err != nil {
		next.Err = value.err
		return next, false, false
	}
	next.Value, next.HasValue, next.Series, next.At, next.Err = value.value, value.has, value.series, at, nil
	switch {
	case fresh.query == "":
		next.DataAt, next.Silent = time.Time{}, false
	case !askFresh:
		// asked within the last fifth of stale_after: the previous data
		// time stands, and ages
	case dataErr != nil:
		next.Warnings = append(next.Warnings, "data time: "+dataErr.Error()+"; keeping the previous one")
	default:
		// No sample behind any selector is silence, never fresh data.
		next.DataAt, next.Silent = dataAt, dataAt.IsZero()
	}
	if sig.Series != "any" && value.series > 1 {
		next.Warnings = append(next.Warnings, fmt.Sprintf("%d series where one is expected; showing the worst", value.series))
	}
	if askVolume {
		next.Warnings = append(next.Warnings, volume.warnings...)
		next.Volume, next.HasVolume = volume.value, volume.has
		if volume.err != nil {
			next.Err = fmt.Errorf("volume query: %w", volume.err)
		}
	}
	slowOK = needSlow && dataErr == nil && volume.err == nil
	switch {
	case needRange && histErr == nil:
		next.History = history
		return next, true, slowOK
	case needRange:
		next.Warnings = append(next.Warnings, "history: "+histErr.Error())
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
	v, warnings, _, err := s.api.Query(ctx, query, at, v1.WithTimeout(s.o.QueryTimeout))
	if err != nil {
		return nil, warnings, queryError(query, err)
	}
	return v, warnings, nil
}

// instant runs a value query and reduces it to the worst series.
func (s *Sampler) instant(ctx context.Context, query, direction string, at time.Time) answer {
	v, warnings, err := s.query(ctx, query, at)
	if err != nil {
		return answer{err: err, warnings: warnings}
	}
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

// history runs the range query that fills the sparkline window.
func (s *Sampler) history(ctx context.Context, query, direction string, at time.Time) ([]Point, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, queryError(query, err)
	}
	defer s.release()
	ctx, cancel := context.WithTimeout(ctx, s.o.QueryTimeout)
	defer cancel()
	r := v1.Range{Start: at.Add(-s.o.Window), End: at, Step: s.o.Step}
	v, _, _, err := s.api.QueryRange(ctx, query, r, v1.WithTimeout(s.o.QueryTimeout))
	if err != nil {
		return nil, queryError(query, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query returned %s, not a matrix", v.Type())
	}
	return worstPerStep(m, direction), nil
}

// reduce turns an instant query's result into one value: the worst series
// for the signal's direction, so that one bad shard is never averaged away.
func reduce(v model.Value, direction string) answer {
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
		if !a.has || worse(x, a.value, direction) {
			a.value, a.has = x, true
		}
	}
	if nan > 0 {
		a.warnings = append(a.warnings, fmt.Sprintf("%d of %d series are NaN (0/0: no traffic?); NaN is no value", nan, len(vals)))
	}
	return a
}

func worse(x, than float64, direction string) bool {
	if direction == "below" {
		return x < than
	}
	return x > than
}

// worstPerStep folds a matrix into one series, the worst value per timestamp.
func worstPerStep(m model.Matrix, direction string) []Point {
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
			if !seen || worse(x, old, direction) {
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
