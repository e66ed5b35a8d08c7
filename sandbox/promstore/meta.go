package promstore

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// timeRange reads the optional start/end of the metadata endpoints as
// milliseconds; absent means unbounded.
func timeRange(r *http.Request) (mint, maxt int64, apiErr *apiError) {
	mint, maxt = math.MinInt64, math.MaxInt64
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"start", &mint}, {"end", &maxt}} {
		if v := r.FormValue(p.name); v != "" {
			t, err := parseTimeParam(r, p.name, time.Time{})
			if err != nil {
				return 0, 0, badParam(p.name, err)
			}
			*p.dst = t.UnixMilli()
		}
	}
	return mint, maxt, nil
}

// matcherSets parses match[] selectors; like Prometheus it refuses a
// selector whose every matcher would match the empty string.
func (s *Store) matcherSets(r *http.Request) ([][]*labels.Matcher, *apiError) {
	if err := r.ParseForm(); err != nil {
		return nil, badData(fmt.Errorf("error parsing form values: %w", err))
	}
	sets, err := s.parser.ParseMetricSelectors(r.Form["match[]"])
	if err != nil {
		return nil, badData(err)
	}
	for _, ms := range sets {
		if !slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return !m.Matches("") }) {
			return nil, badData(errors.New("match[] must contain at least one non-empty matcher"))
		}
	}
	return sets, nil
}

// series serves /api/v1/series: the label sets matching any match[].
func (s *Store) series(r *http.Request) apiResult {
	sets, apiErr := s.matcherSets(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	if len(sets) == 0 {
		return apiResult{err: badData(errors.New("no match[] parameter provided"))}
	}
	mint, maxt, apiErr := timeRange(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	q, err := s.mem.Querier(mint, maxt)
	if err != nil {
		return apiResult{err: execError(err)}
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: mint, End: maxt, Func: "series"}
	selected := make([]storage.SeriesSet, 0, len(sets))
	for _, ms := range sets {
		selected = append(selected, q.Select(r.Context(), true, hints, ms...))
	}
	set := storage.NewMergeSeriesSet(selected, 0, storage.ChainedSeriesMerge)
	out := []labels.Labels{}
	for set.Next() {
		out = append(out, set.At().Labels())
	}
	if err := set.Err(); err != nil {
		return apiResult{warnings: set.Warnings(), err: execError(err)}
	}
	return apiResult{data: out, warnings: set.Warnings()}
}

// labelNames serves /api/v1/labels, optionally restricted by match[].
func (s *Store) labelNames(r *http.Request) apiResult {
	return s.labelQuery(r, func(q storage.Querier, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelNames(r.Context(), &storage.LabelHints{}, ms...)
	})
}

// labelValues serves /api/v1/label/<name>/values.
func (s *Store) labelValues(r *http.Request) apiResult {
	name := r.PathValue("name")
	if !model.UTF8Validation.IsValidLabelName(name) {
		return apiResult{err: badData(fmt.Errorf("invalid label name: %q", name))}
	}
	return s.labelQuery(r, func(q storage.Querier, ms []*labels.Matcher) ([]string, annotations.Annotations, error) {
		return q.LabelValues(r.Context(), name, &storage.LabelHints{}, ms...)
	})
}

// labelQuery runs a label lookup once per match[] set (or once without
// matchers) and answers the sorted union.
func (s *Store) labelQuery(r *http.Request, lookup func(storage.Querier, []*labels.Matcher) ([]string, annotations.Annotations, error)) apiResult {
	sets, apiErr := s.matcherSets(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	mint, maxt, apiErr := timeRange(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	q, err := s.mem.Querier(mint, maxt)
	if err != nil {
		return apiResult{err: execError(err)}
	}
	defer q.Close()
	if len(sets) == 0 {
		sets = [][]*labels.Matcher{nil}
	}
	var warnings annotations.Annotations
	union := map[string]struct{}{}
	for _, ms := range sets {
		vals, w, err := lookup(q, ms)
		warnings.Merge(w)
		if err != nil {
			return apiResult{warnings: warnings, err: &apiError{errExec, err}}
		}
		for _, v := range vals {
			union[v] = struct{}{}
		}
	}
	out := make([]string, 0, len(union))
	for v := range union {
		out = append(out, v)
	}
	slices.Sort(out)
	return apiResult{data: out, warnings: warnings}
}
