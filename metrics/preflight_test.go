package metrics

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
)

func preflightSignals() map[string]*config.Signal {
	ratio := signal("ratio", "max(demo_error_ratio)")
	ratio.VolumeQuery = "sum(no_such_requests)"
	anySeries := signal("any", "demo_queue_depth")
	anySeries.Series = "any"
	return map[string]*config.Signal{
		"ratio":   ratio,
		"queues":  signal("queues", "demo_queue_depth"),
		"any":     anySeries,
		"missing": signal("missing", "max(no_such_metric)"),
		"bad":     signal("bad", "max(demo_error_ratio"),
	}
}

// checkPreflight asserts what an operator reads in `cockpit preflight`.
func checkPreflight(t *testing.T, got []PreflightResult) {
	t.Helper()
	want := []struct {
		signal, kind string
		ok           bool
		problem      string
	}{
		{"any", "query", true, ""},
		{"bad", "query", false, "does not parse: "},
		{"missing", "query", false, "returns no data"},
		{"queues", "query", false, "returns 2 series where one is expected"},
		{"ratio", "query", true, ""},
		{"ratio", "volume_query", false, "returns no data"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Signal != w.signal || g.Kind != w.kind || g.OK != w.ok || !strings.Contains(g.Problem, w.problem) {
			t.Errorf("result %d: %+v, want %s %s ok=%t problem containing %q", i, g, w.signal, w.kind, w.ok, w.problem)
		}
	}
}

func TestPreflightAgainstTheEmbeddedStore(t *testing.T) {
	p := startProm(t)
	checkPreflight(t, Preflight(context.Background(), p.api, preflightSignals()))
}

// TestPreflightAndTickAgainstTheRealPrometheus proves the client and the
// queries against Debian's prometheus server, not only the embedded store.
func TestPreflightAndTickAgainstTheRealPrometheus(t *testing.T) {
	reg := prometheus.NewRegistry()
	ratio := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_error_ratio", Help: "Error ratio."})
	queues := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_queue_depth", Help: "Queue depth."}, []string{"queue"})
	reg.MustRegister(ratio, queues)
	ratio.Set(0.0031)
	queues.WithLabelValues("a").Set(42)
	queues.WithLabelValues("b").Set(8)
	target := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	base := testsvc.Prometheus(t, []testsvc.ScrapeTarget{{Job: "demo", HostPort: net.JoinHostPort(u.Hostname(), u.Port())}}, 200*time.Millisecond)
	api, err := NewAPI(config.Prometheus{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{QueryTimeout: 5 * time.Second})
	deadline := time.Now().Add(30 * time.Second)
	for {
		smp := s.Tick(context.Background()).Samples["ratio"]
		if smp.Err != nil {
			t.Fatalf("real prometheus: %v", smp.Err)
		}
		if smp.HasValue {
			if smp.Value != 0.0031 {
				t.Fatalf("real prometheus value %v", smp.Value)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no data from the real prometheus after 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkPreflight(t, Preflight(context.Background(), api, preflightSignals()))
}
