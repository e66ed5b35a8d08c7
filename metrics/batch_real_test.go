package metrics_test

import (
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/metrics"
)

// Debian's Prometheus server answers the batched round as the sampler
// reads it: every signal's value from one request, scalars and first_event
// exporters included; a signal that is valid PromQL but fails at
// evaluation (many-to-many matching) breaks the batch, the round is asked
// signal by signal, the healthy signals answer and the broken one carries
// its own error; the next round batches the healthy ones again.
//
// The scrape interval is a second, not less: a scrape that outlives its
// timeout on a loaded machine makes Prometheus mark every series of the
// target stale, and a fallback round asked in that moment finds nothing.
func TestRealPrometheusAnswersTheBatchAndItsFallback(t *testing.T) {
	const scrapeEvery = time.Second
	reg := prometheus.NewRegistry()
	ratio := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_error_ratio", Help: "Error ratio."})
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_queue_depth", Help: "Queue depth."}, []string{"queue"})
	reg.MustRegister(ratio, queues)
	ratio.Set(0.25)
	queues.WithLabelValues("a").Set(42)
	queues.WithLabelValues("b").Set(8)
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	base := testsvc.Prometheus(t, []testsvc.ScrapeTarget{{Job: "demo", HostPort: net.JoinHostPort(u.Hostname(), u.Port())}}, scrapeEvery)
	proxy := startCountingProxy(t, base)
	api, err := metrics.NewAPI(config.Prometheus{URL: proxy.url})
	if err != nil {
		t.Fatal(err)
	}
	sig := func(name, query string) *config.Signal {
		return &config.Signal{Name: name, Query: query, Direction: "above", Series: "any", Unit: "count"}
	}
	drift := sig("drift", "sum(increase(demo_drift_total[5m]))")
	drift.FirstEvent = &config.FirstEvent{Up: `up{job="demo"}`, Series: "demo_error_ratio"}
	signals := map[string]*config.Signal{
		"ratio": sig("ratio", "max(demo_error_ratio)"), "queues": sig("queues", "demo_queue_depth"),
		"literal": sig("literal", "2"), "drift": drift,
	}
	s := metrics.NewSampler(api, signals, metrics.SamplerOptions{}) // the slow parts every round
	var snap metrics.Snapshot
	deadline := time.Now().Add(30 * time.Second)
	for snap = s.Tick(context.Background()); !snap.Samples["ratio"].HasValue; snap = s.Tick(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatalf("no value from the real Prometheus after 30s: %+v", snap.Samples)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, want := range map[string]float64{"ratio": 0.25, "queues": 42, "literal": 2} {
		if smp := snap.Samples[name]; smp.Err != nil || smp.Value != want {
			t.Errorf("%s: %+v, want %v", name, smp, want)
		}
	}
	if d := snap.Samples["drift"]; d.HasValue || d.Exporter.Err != nil || !d.Exporter.HasUp || d.Exporter.Up != 1 {
		t.Errorf("drift: %+v, want no series and its exporter up", d)
	}
	if n := proxy.requests(); n != int64(snap.Seq) || snap.Fallback != "" {
		t.Fatalf("%d requests for %d rounds (fallback %q), want one a round", n, snap.Seq, snap.Fallback)
	}

	broken := metrics.NewSampler(api, map[string]*config.Signal{
		"ratio": sig("ratio", "max(demo_error_ratio)"), "broken": sig("broken", "demo_queue_depth + on() demo_queue_depth"),
	}, metrics.SamplerOptions{StaleAfter: time.Hour})
	snap = broken.Tick(context.Background())
	if smp := snap.Samples["ratio"]; smp.Err != nil || smp.Value != 0.25 {
		t.Errorf("ratio beside a broken signal: %+v", smp)
	}
	if err := snap.Samples["broken"].Err; err == nil || !strings.Contains(err.Error(), "many-to-many") {
		t.Errorf("broken: %v, want its own many-to-many error", err)
	}
	if !strings.Contains(snap.Fallback, "many-to-many") || !strings.HasSuffix(snap.Fallback, "broken by broken") {
		t.Errorf("fallback %q, want the batch's error and the signal that broke it", snap.Fallback)
	}
	if next := broken.Tick(context.Background()); next.Fallback != "" || next.Samples["ratio"].Value != 0.25 {
		t.Errorf("the round after: fallback %q, ratio %+v; want the healthy signal batched again", next.Fallback, next.Samples["ratio"])
	}
}
