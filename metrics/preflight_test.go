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
	// A label set nothing has carried yet, with a fallback that keeps the
	// answer while the metric itself exists: usable, with a warning.
	notYet := signal("not_yet", `sum(demo_queue_depth{queue="c"}) or sum(demo_queue_depth) * 0`)
	// Counters that appear with their first event, on an exporter that is
	// scraped (job demo) or is not (job nowhere).
	scraped := &config.FirstEvent{Up: `up{job="demo"}`, Series: "demo_served_total"}
	quiet := signal("quiet", `sum(demo_queue_depth{queue="c"})`)
	quiet.FirstEvent = scraped
	first := signal("first", `sum(increase(demo_drift_total[10m]))`)
	first.FirstEvent = scraped
	unscraped := signal("unscraped", `sum(increase(demo_drift_total[10m]))`)
	unscraped.FirstEvent = &config.FirstEvent{Up: `up{job="nowhere"}`}
	notJudged := signal("not_judged", `max(no_such_summary_count)`)
	notJudged.Required, notJudged.Reason = new(false), "this deployment never observes it"
	return map[string]*config.Signal{
		"first": first,
		// No series with those labels yet, no fallback: no data yet.
		"labels_later": signal("labels_later", `sum(demo_queue_depth{queue="c"})`),
		"unscraped":    unscraped,
		"not_judged":   notJudged,
		"ratio":        ratio,
		"queues":       signal("queues", "demo_queue_depth"),
		"any":          anySeries,
		"missing":      signal("missing", "max(no_such_metric)"),
		"bad":          signal("bad", "max(demo_error_ratio"),
		// The idiom that reads green on no telemetry at all.
		"fallback": signal("fallback", `sum(rate(no_such_total{code="5xx"}[5m])) or vector(0)`),
		"not_yet":  notYet,
		"quiet":    quiet,
	}
}

// checkPreflight asserts what an operator reads in `cockpit preflight`.
func checkPreflight(t *testing.T, got []PreflightResult) {
	t.Helper()
	want := []struct {
		signal, kind string
		ok           bool
		problem      string
		warning      string
		note         string
	}{
		{"any", "query", true, "", "", ""},
		{"bad", "query", false, "does not parse: ", "", ""},
		{"fallback", "query", false, "metric no_such_total has no series in the last 24h: it was never exported here", "", ""},
		{"first", "query", true, "", "", "no series yet: appears with its first event (demo_drift_total"},
		{"labels_later", "query", true, "", "returns no data yet: the series above appear with their first request", ""},
		{"missing", "query", false, "metric no_such_metric has no series in the last 24h", "", ""},
		{"missing", "query", false, "Change signals.missing.query to the metric this deployment exports", "", ""},
		{"not_judged", "query", true, "", "", "not judged: this deployment never observes it"},
		{"not_yet", "query", true, "", `no series match demo_queue_depth{queue="c"} yet, though demo_queue_depth exists`, ""},
		{"queues", "query", false, "returns 2 series where one is expected", "", ""},
		{"quiet", "query", true, "", `no series match demo_queue_depth{queue="c"} yet`, "no data yet: appears with its first event"},
		{"ratio", "query", true, "", "", ""},
		{"ratio", "volume_query", false, "metric no_such_requests has no series", "", ""},
		{"unscraped", "query", false, `its exporter's health up{job="nowhere"} has no series in the last 24h: the exporter is not scraped here`, "", ""},
	}
	// "missing" is asserted twice (two fragments of one problem).
	if len(got) != len(want)-1 {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want)-1, got)
	}
	for i, w := range want {
		if i > 5 {
			i--
		}
		g := got[i]
		warnings := strings.Join(g.Warnings, "\n")
		if g.Signal != w.signal || g.Kind != w.kind || g.OK != w.ok || !strings.Contains(g.Problem, w.problem) ||
			!strings.Contains(warnings, w.warning) || (w.warning == "") != (warnings == "") ||
			!strings.Contains(g.Note, w.note) || (w.note == "") != (g.Note == "") {
			t.Errorf("result %d: %+v, want %s %s ok=%t problem containing %q, warning containing %q, note containing %q", i, g, w.signal, w.kind, w.ok, w.problem, w.warning, w.note)
		}
	}
}

// TestPreflightFailsEveryDefaultSignalWithoutItsTelemetry: against a
// Prometheus that has none of the production metrics, no default reads
// green, whatever fallback its query has.
func TestPreflightFailsEveryDefaultSignalWithoutItsTelemetry(t *testing.T) {
	p := startProm(t)
	results := Preflight(context.Background(), p.api, config.DefaultSignals())
	if len(results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range results {
		if sig := config.DefaultSignals()[r.Signal]; sig.NotJudged() != "" {
			if !r.OK || r.Note != sig.NotJudged() {
				t.Errorf("%s declared required: false: %+v, want OK saying it is not judged", r.Signal, r)
			}
			continue
		}
		if r.OK || !strings.Contains(r.Problem, "has no series in the last 24h") {
			t.Errorf("%s %s: ok=%t %q, want a problem naming the missing metric", r.Signal, r.Kind, r.OK, r.Problem)
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

// The deadline is sized by every query preflight tries: each signal's
// query, and its volume query when it has one.
func TestPreflightQueriesCountsVolumeQueries(t *testing.T) {
	signals := map[string]*config.Signal{"a": {Query: "a"}, "b": {Query: "b", VolumeQuery: "vb"}, "c": {Query: "c"}}
	if n := PreflightQueries(signals); n != 4 {
		t.Errorf("PreflightQueries = %d, want 4", n)
	}
	if n := PreflightQueries(nil); n != 0 {
		t.Errorf("no signals: %d queries", n)
	}
}
