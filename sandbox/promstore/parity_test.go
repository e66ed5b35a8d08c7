package promstore

import (
	"math"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/internal/testsvc"
)

const (
	parityInterval = time.Second
	parityRate     = 10.0 // demo_requests_total grows by this much per second
	// parityOffset keeps the counter far from zero, so rate()'s
	// extrapolation is never capped at the counter's zero point, which
	// would make the answer depend on when each scraper started.
	parityOffset = 1e6
)

// linearTarget serves a counter that grows at parityRate per wall-clock
// second and two fixed gauges, so two scrapers sampling at slightly
// different moments must agree to within one interval's worth of growth.
func linearTarget(t *testing.T) *httptest.Server {
	t.Helper()
	start := time.Now()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "demo_requests_total", Help: "Requests."},
		func() float64 { return parityOffset + parityRate*time.Since(start).Seconds() }))
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_queue_depth", Help: "Queue depth."}, []string{"queue"})
	reg.MustRegister(queues)
	queues.WithLabelValues("a").Set(42)
	queues.WithLabelValues("b").Set(8)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSameAnswersAsRealPrometheus scrapes the same two targets at the same
// interval with the embedded store and Debian's prometheus, then asks both
// the same queries: the series must be identical and the values agree
// within one scrape interval's worth of change.
func TestSameAnswersAsRealPrometheus(t *testing.T) {
	t.Parallel()
	targets := []*httptest.Server{linearTarget(t), linearTarget(t)}
	var embedded []Target
	var real []testsvc.ScrapeTarget
	for _, srv := range targets {
		embedded = append(embedded, Target{Job: "demo", URL: srv.URL + "/metrics", Labels: map[string]string{"env": "rehearsal"}})
		real = append(real, testsvc.ScrapeTarget{Job: "demo", HostPort: strings.TrimPrefix(srv.URL, "http://"), Labels: map[string]string{"env": "rehearsal"}})
	}
	promURL := testsvc.Prometheus(t, real, parityInterval)
	client, err := api.NewClient(api.Config{Address: promURL})
	if err != nil {
		t.Fatalf("client for real prometheus: %v", err)
	}
	realAPI := v1.NewAPI(client)
	ours := startStore(t, Options{ScrapeInterval: parityInterval, Targets: embedded})

	rateQuery := "rate(demo_requests_total[5s])"
	// Compare only once both windows are full (five samples a second apart
	// for each target): a window still filling up is extrapolated less,
	// and that difference is about start-up, not about the engine.
	full := "count_over_time(demo_requests_total[5s]) >= 5"
	waitFor(t, 30*time.Second, func() bool {
		now := time.Now()
		return len(vectorAt(t, realAPI, full, now)) == 2 && len(vectorAt(t, ours.api, full, now)) == 2
	})

	at := time.Now()
	for _, tc := range []struct {
		query     string
		tolerance float64
	}{
		{"up", 0},
		{"sum by (job) (demo_queue_depth)", 0},
		{"demo_requests_total", parityRate * parityInterval.Seconds()},
		// One interval of growth inside the 5s window moves the rate by at
		// most rate*interval/window.
		{rateQuery, parityRate * parityInterval.Seconds() / 5},
	} {
		want := vectorAt(t, realAPI, tc.query, at)
		got := vectorAt(t, ours.api, tc.query, at)
		if len(want) == 0 {
			t.Errorf("%s: real prometheus returned nothing", tc.query)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: embedded has %d series %v, real has %d %v", tc.query, len(got), got, len(want), want)
			continue
		}
		for i := range want {
			if !got[i].Metric.Equal(want[i].Metric) {
				t.Errorf("%s: series %d is %v, real prometheus has %v", tc.query, i, got[i].Metric, want[i].Metric)
			}
			if diff := math.Abs(float64(got[i].Value - want[i].Value)); diff > tc.tolerance {
				t.Errorf("%s %v: embedded %v, real %v (off by %v, tolerance %v)", tc.query, want[i].Metric, got[i].Value, want[i].Value, diff, tc.tolerance)
			}
		}
	}
}

// vectorAt runs an instant query and sorts the series by labels.
func vectorAt(t *testing.T, a v1.API, q string, at time.Time) model.Vector {
	t.Helper()
	v, _, _, err := a.Query(queryCtx(t), q, at)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("query %s: got %s, want a vector", q, v.Type())
	}
	sort.Slice(vec, func(i, j int) bool { return vec[i].Metric.Before(vec[j].Metric) })
	return vec
}
