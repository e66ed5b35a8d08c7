package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox/promstore"
)

// prom is the rehearsal world's real TSDB + PromQL store scraping one
// client_golang registry, behind a handler that counts the queries it gets.
type prom struct {
	store   *promstore.Store
	url     string
	api     v1.API
	ratio   prometheus.Gauge
	queues  *prometheus.GaugeVec
	queries atomic.Int64 // /api/v1/query requests, batched or not
	fresh   atomic.Int64 // of those, the ones carrying a data-time (freshness) query
	// failFresh makes the proxy answer every request carrying a freshness
	// query with a Prometheus execution error: a fake, because a real
	// server cannot be made to fail one query of a signal and answer the
	// other.
	failFresh atomic.Bool
	// failBatch makes the proxy refuse every batched request, as a
	// backend that cannot carry one would (a fake: no real server refuses
	// label_replace).
	failBatch atomic.Bool
	batches   atomic.Int64 // batched requests received
	volumes   atomic.Int64 // requests carrying a volume query (volumeMark)
	stop      func()       // stops scraping, as a Prometheus that stopped scraping
	ranges    atomic.Int64 // /api/v1/query_range
	active    atomic.Int64 // requests being served now
	maxActive atomic.Int64
	mu        sync.Mutex
	headers   []http.Header
}

func startProm(t testing.TB) *prom {
	t.Helper()
	reg := prometheus.NewRegistry()
	ratio := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_error_ratio", Help: "Error ratio."})
	requests := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_requests", Help: "Requests in the window."})
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_queue_depth", Help: "Queue depth."}, []string{"queue"})
	served := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_served_total", Help: "Requests served; +10 per scrape."})
	reg.MustRegister(ratio, requests, queues, served)
	ratio.Set(0.0031)
	requests.Set(12)
	queues.WithLabelValues("a").Set(42)
	queues.WithLabelValues("b").Set(8)
	exposition := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(10)
		exposition.ServeHTTP(w, r)
	}))
	t.Cleanup(target.Close)

	store, err := promstore.Open(promstore.Options{ScrapeInterval: 50 * time.Millisecond,
		// A scrape slowed past 45ms by a busy machine would stale every
		// series (as a failed scrape does); here it only delays the next.
		ScrapeTimeout: 5 * time.Second,
		Targets:       []promstore.Target{{Job: "demo", Instance: "demo:1", URL: target.URL + "/metrics"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { store.Run(ctx) })
	p := &prom{store: store, ratio: ratio, queues: queues, stop: func() { cancel(); wg.Wait() }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() == nil && strings.Contains(r.Form.Get("query"), volumeMark) {
			p.volumes.Add(1)
		}
		if isBatch(r) {
			p.batches.Add(1)
			if p.failBatch.Load() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"this backend refuses batches"}`))
				return
			}
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/query") && isFreshness(r):
			p.queries.Add(1)
			p.fresh.Add(1)
			if p.failFresh.Load() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = w.Write([]byte(`{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}`))
				return
			}
		case strings.HasSuffix(r.URL.Path, "/query"):
			p.queries.Add(1)
		case strings.HasSuffix(r.URL.Path, "/query_range"):
			p.ranges.Add(1)
		}
		p.mu.Lock()
		p.headers = append(p.headers, r.Header.Clone())
		p.mu.Unlock()
		n := p.active.Add(1)
		defer p.active.Add(-1)
		p.raiseMax(n)
		store.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		p.stop()
		if err := store.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	p.url = srv.URL
	p.api, err = NewAPI(config.Prometheus{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p.waitForData(t)
	return p
}

// waitForData waits until the first scrapes are queryable.
func (p *prom) waitForData(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _, _, err := p.api.Query(context.Background(), "demo_error_ratio", time.Now())
		if err == nil && v.String() != "" {
			p.queries.Store(0)
			p.fresh.Store(0)
			p.ranges.Store(0)
			p.maxActive.Store(0)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scraped data after 20s (last error %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitValue waits until query answers want, as the store scrapes on its
// own time; its queries are not counted as the sampler's.
func (p *prom) waitValue(t testing.TB, query string, want float64) {
	t.Helper()
	queries, fresh := p.queries.Load(), p.fresh.Load()
	defer func() { p.queries.Store(queries); p.fresh.Store(fresh) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _, _, err := p.api.Query(context.Background(), query, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) == 1 && float64(vec[0].Value) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not %v after 20s (last answer %v, error %v)", query, want, v, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func signal(name, query string) *config.Signal {
	return &config.Signal{Name: name, Query: query, Direction: "above", Series: "one", Unit: "ratio"}
}

// clock is a settable time source for the sampler; the store keeps real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// raiseMax records n as the most requests served at once, if it is.
func (p *prom) raiseMax(n int64) {
	for {
		m := p.maxActive.Load()
		if n <= m || p.maxActive.CompareAndSwap(m, n) {
			return
		}
	}
}

// isBatch tells a batched request from one query's own.
// volumeMark is what the tests' volume queries carry, for the proxy to
// count them.
const volumeMark = "* 1000"

func isBatch(r *http.Request) bool {
	return r.ParseForm() == nil && strings.Contains(r.Form.Get("query"), partLabel)
}

// isFreshness tells a request carrying a signal's data-time query from
// one of value queries only.
func isFreshness(r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		return false
	}
	return strings.Contains(r.Form.Get("query"), selectorLabel)
}
