package promstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// base is the fake clock's start; the scrape at step k is stamped base+k s.
var base = time.Unix(1_700_000_000, 0).UTC()

// steppingClock returns base, base+1s, base+2s, … on successive calls, so a
// single-target store stamps its k-th scrape at exactly base+k s.
type steppingClock struct{ calls atomic.Int64 }

func (c *steppingClock) Now() time.Time {
	return base.Add(time.Duration(c.calls.Add(1)-1) * time.Second)
}

// demoTarget is a /metrics endpoint backed by a client_golang registry:
// a counter that grows by 10 on every scrape and a gauge per queue.
type demoTarget struct {
	srv      *httptest.Server
	requests atomic.Int64
	fail     atomic.Bool // answer 500 instead of metrics
	queues   *prometheus.GaugeVec
}

func newDemoTarget(t *testing.T) *demoTarget {
	t.Helper()
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_requests_total", Help: "Requests."})
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_queue_depth", Help: "Queue depth."}, []string{"queue"})
	reg.MustRegister(counter, queues)
	queues.WithLabelValues("a").Set(42)
	queues.WithLabelValues("b").Set(8)
	d := &demoTarget{queues: queues}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.requests.Add(1)
		if d.fail.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		counter.Add(10)
		metrics.ServeHTTP(w, r)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *demoTarget) target(job string) Target {
	return Target{Job: job, URL: d.srv.URL + "/metrics", Labels: map[string]string{"env": "rehearsal"}}
}

// waitRequests waits until the target has been scraped at least n times.
func (d *demoTarget) waitRequests(t *testing.T, n int64) {
	t.Helper()
	waitFor(t, 20*time.Second, func() bool { return d.requests.Load() >= n })
}

// running is a Store being scraped and served over HTTP.
type running struct {
	store *Store
	url   string
	api   v1.API
	stop  func() // stops scraping and waits for Run to return
}

func startStore(t *testing.T, opts Options) *running {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	stop := sync.OnceFunc(func() { cancel(); wg.Wait() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		stop()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	client, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatalf("api.NewClient: %v", err)
	}
	return &running{store: s, url: srv.URL, api: v1.NewAPI(client), stop: stop}
}

func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queryCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
