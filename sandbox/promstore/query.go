package promstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/prometheus/promql"
)

// maxPointsPerSeries is Prometheus's guard against huge range queries.
const maxPointsPerSeries = 11000

// query serves /api/v1/query: query, time (default now), timeout.
func (s *Store) query(r *http.Request) apiResult {
	ts, err := parseTimeParam(r, "time", s.now())
	if err != nil {
		return apiResult{err: badParam("time", err)}
	}
	ctx, cancel, apiErr := queryContext(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	defer cancel()
	q := r.FormValue("query")
	qry, err := s.engine.NewInstantQuery(ctx, s.mem, nil, q, ts)
	if err != nil {
		return apiResult{err: badParam("query", err)}
	}
	return run(ctx, qry, q)
}

// queryRange serves /api/v1/query_range: query, start, end, step, timeout.
func (s *Store) queryRange(r *http.Request) apiResult {
	start, err := parseTime(r.FormValue("start"))
	if err != nil {
		return apiResult{err: badParam("start", err)}
	}
	end, err := parseTime(r.FormValue("end"))
	if err != nil {
		return apiResult{err: badParam("end", err)}
	}
	if end.Before(start) {
		return apiResult{err: badParam("end", errors.New("end timestamp must not be before start time"))}
	}
	step, err := parseDuration(r.FormValue("step"))
	if err != nil {
		return apiResult{err: badParam("step", err)}
	}
	if step <= 0 {
		return apiResult{err: badParam("step", errors.New("zero or negative query resolution step widths are not accepted. Try a positive integer"))}
	}
	if end.Sub(start)/step > maxPointsPerSeries {
		return apiResult{err: badData(errors.New("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"))}
	}
	ctx, cancel, apiErr := queryContext(r)
	if apiErr != nil {
		return apiResult{err: apiErr}
	}
	defer cancel()
	q := r.FormValue("query")
	qry, err := s.engine.NewRangeQuery(ctx, s.mem, nil, q, start, end, step)
	if err != nil {
		return apiResult{err: badParam("query", err)}
	}
	return run(ctx, qry, q)
}

// queryContext applies the request's optional `timeout`, which can only
// shorten the engine's own timeout.
func queryContext(r *http.Request) (context.Context, context.CancelFunc, *apiError) {
	v := r.FormValue("timeout")
	if v == "" {
		ctx, cancel := context.WithCancel(r.Context())
		return ctx, cancel, nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return nil, nil, badParam("timeout", err)
	}
	if d <= 0 {
		return nil, nil, badParam("timeout", fmt.Errorf("timeout must be positive, got %s", d))
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return ctx, cancel, nil
}

// run executes a query and encodes its result before the query's pooled
// memory is released by Close.
func run(ctx context.Context, qry promql.Query, q string) apiResult {
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return apiResult{warnings: res.Warnings, query: q, err: execError(res.Err)}
	}
	enc, err := encodeResult(res.Value)
	if err != nil {
		return apiResult{err: &apiError{errExec, err}}
	}
	return apiResult{
		data:     queryData{ResultType: string(res.Value.Type()), Result: enc},
		warnings: res.Warnings,
		query:    q,
	}
}
