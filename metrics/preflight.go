package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/openagents/cockpit/config"
)

// PreflightResult is one configured query, tried once before the cutover.
type PreflightResult struct {
	Signal  string `json:"signal"`
	Kind    string `json:"kind"` // "query" or "volume_query"
	Query   string `json:"query"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
	Series  int    `json:"series"`
}

// preflightConcurrency matches the sampler's default: preflight must not
// load Prometheus more than watching does.
const preflightConcurrency = 4

// Preflight tries every signal's query and volume query once: each must
// parse (the server answers without bad_data), return data, and return
// exactly one series where the signal expects one. Results are in signal
// order, each query before its volume query. Bound the run with ctx.
func Preflight(ctx context.Context, api v1.API, signals map[string]*config.Signal) []PreflightResult {
	var out []PreflightResult
	for _, name := range slices.Sorted(maps.Keys(signals)) {
		sig := signals[name]
		out = append(out, PreflightResult{Signal: name, Kind: "query", Query: sig.Query})
		if sig.VolumeQuery != "" {
			out = append(out, PreflightResult{Signal: name, Kind: "volume_query", Query: sig.VolumeQuery})
		}
	}
	slots := make(chan struct{}, preflightConcurrency)
	var wg sync.WaitGroup
	for i := range out {
		r := &out[i]
		one := signals[r.Signal].Series != "any" || r.Kind == "volume_query"
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				r.Problem = queryError(r.Query, ctx.Err()).Error()
				return
			}
			preflightOne(ctx, api, r, one)
		})
	}
	wg.Wait()
	return out
}

// preflightOne queries at the server's own now (no time parameter).
func preflightOne(ctx context.Context, api v1.API, r *PreflightResult, one bool) {
	if r.Query == "" {
		r.Problem = "no query configured"
		return
	}
	v, _, _, err := api.Query(ctx, r.Query, time.Time{})
	if err != nil {
		qe := queryError(r.Query, err)
		if qe.Type == string(v1.ErrBadData) {
			r.Problem = "does not parse: " + qe.Msg
		} else {
			r.Problem = qe.Error()
		}
		return
	}
	a := reduce(v, "above")
	r.Series = a.series
	switch {
	case a.err != nil:
		r.Problem = a.err.Error()
	case !a.has:
		r.Problem = "returns no data (check metric names and labels, or that traffic exists)"
	case one && a.series != 1:
		r.Problem = fmt.Sprintf("returns %d series where one is expected (aggregate with sum() or max(), or set series: any)", a.series)
	default:
		r.OK = true
	}
}
