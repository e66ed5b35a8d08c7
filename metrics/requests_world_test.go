package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/sandbox"
)

// maxRequestsPerRound is issue 16's budget: at 1 s refresh with the
// rehearsal config, at most 1.5 Prometheus requests a second.
const maxRequestsPerRound = 1.5

// countingProxy is a reverse proxy in front of a Prometheus that counts
// the requests passing through it, as an operator's network would see them.
type countingProxy struct {
	url             string
	instant, ranges atomic.Int64
}

func startCountingProxy(t testing.TB, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	cp := &countingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/api/v1/query"):
			cp.instant.Add(1)
		case strings.HasSuffix(r.URL.Path, "/api/v1/query_range"):
			cp.ranges.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cp.url = srv.URL
	return cp
}

func (cp *countingProxy) requests() int64 { return cp.instant.Load() + cp.ranges.Load() }

// stepClock is the rounds' clock: each round is one refresh later.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rehearsalSampler starts the rehearsal world, loads the config it writes
// (refresh 1s, the default signals) and builds staging's sampler as the
// runbook engine does, through a counting proxy. It waits until the world's
// Prometheus has scraped its runtimes, so the rounds read real series.
func rehearsalSampler(t testing.TB) (*metrics.Sampler, *countingProxy, *stepClock, time.Duration) {
	t.Helper()
	w, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting the world: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	env := cfg.Environments["staging"]
	direct, err := metrics.NewAPI(env.Prometheus)
	if err != nil {
		t.Fatal(err)
	}
	waitForSeries(t, direct, `count(up{job="legacy-runtime"})`)
	proxy := startCountingProxy(t, env.Prometheus.URL)
	p := env.Prometheus
	p.URL = proxy.url
	api, err := metrics.NewAPI(p, metrics.WithMaxResponseBytes(cfg.MaxResponseBytes))
	if err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{t: time.Now()}
	s := metrics.NewSampler(api, env.Signals, metrics.SamplerOptions{
		// Far from the config's 800ms: these count requests, and a round
		// that times out on a busy machine (-race, a second test run
		// beside) would fall back and count more, not fewer.
		QueryTimeout: 30 * time.Second,
		Window:       cfg.SparklineWindow.D(),
		StaleAfter:   cfg.StaleAfter.D(),
		Now:          clock.Now,
	})
	return s, proxy, clock, cfg.Refresh.D()
}

// At 1 s refresh with the rehearsal config, the sampler sends at most 1.5
// requests a round, counted at a proxy over two minutes of rounds (the
// clock is driven, not waited for), and every round answers every signal
// without falling back.
func TestRehearsalRoundsStayWithinTheRequestBudget(t *testing.T) {
	s, proxy, clock, refresh := rehearsalSampler(t)
	if refresh != time.Second {
		t.Fatalf("the rehearsal config refreshes every %s, want 1s", refresh)
	}
	const rounds = 120
	signals := 0
	for range rounds {
		snap := s.Tick(context.Background())
		if snap.Fallback != "" {
			t.Fatalf("round %d fell back: %s", snap.Seq, snap.Fallback)
		}
		for name, smp := range snap.Samples {
			if smp.Err != nil {
				t.Fatalf("round %d: %s failed: %v", snap.Seq, name, smp.Err)
			}
		}
		signals = len(snap.Samples)
		clock.add(refresh)
	}
	perRound := float64(proxy.requests()) / rounds
	t.Logf("%d signals, %d rounds: %d instant + %d range requests, %.2f requests/round",
		signals, rounds, proxy.instant.Load(), proxy.ranges.Load(), perRound)
	if signals < 10 {
		t.Fatalf("%d signals sampled, want the defaults (10)", signals)
	}
	if perRound > maxRequestsPerRound {
		t.Errorf("%.2f requests a round, want at most %.1f", perRound, maxRequestsPerRound)
	}
}

// BenchmarkRehearsalRound is one round of staging's sampler on the
// rehearsal world at its 1 s refresh; it reports the requests a round
// sends, counted at a proxy.
func BenchmarkRehearsalRound(b *testing.B) {
	s, proxy, clock, refresh := rehearsalSampler(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s.Tick(ctx)
		clock.add(refresh)
	}
	b.ReportMetric(float64(proxy.requests())/float64(b.N), "requests/round")
}

// waitForSeries waits until query answers at least one series.
func waitForSeries(t testing.TB, api v1.API, query string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, _, _, err := api.Query(context.Background(), query, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s answers nothing after 60s (last answer %v, error %v)", query, v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
