package metrics

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
)

func TestFreshnessPlanReadsSelectorsRangesAndOffsets(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, c := range []struct {
		queries []string
		window  time.Duration
		// every fragment must be in the freshness query; none means no query
		want      []string
		selectors int
	}{
		{[]string{"vector(1)"}, 0, nil, 0},
		{[]string{"sum(rate(x[5m]"}, 0, nil, 0}, // does not parse: its value query fails instead
		{[]string{"x @ 1700000000", "rate(y[5m] @ start())"}, 0, nil, 0},
		{[]string{"max(demo_error_ratio)"}, 0, []string{`min(label_replace(max(timestamp(demo_error_ratio)), "cockpit_selector", "0", "", ""))`}, 1},
		{[]string{`sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m]))`}, 5 * time.Minute, []string{
			`min(label_replace((max(timestamp(req_total{code=~"5.."})) or max_over_time(max(timestamp(req_total{code=~"5.."}))[5m:1s])), "cockpit_selector", "0", "", "")`,
			` or label_replace((max(timestamp(req_total)) or max_over_time(max(timestamp(req_total))[5m:1s])), "cockpit_selector", "1", "", ""))`,
		}, 2},
		// One selector read twice is asked once.
		{[]string{"rate(x[5m]) / rate(x[5m])"}, 5 * time.Minute, []string{"timestamp(x)"}, 1},
		// The volume query's selectors count too, in the same one query.
		{[]string{"max(a)", "max_over_time(b[1h:])"}, time.Hour, []string{"timestamp(a)", "max_over_time(max(timestamp(b))[1h:12s])"}, 2},
		// An offset shifts both the data read and the time it is due.
		{[]string{"rate(x[5m] offset 1h)"}, time.Hour + 5*time.Minute, []string{"timestamp(x offset 1h)", ") + 3600,"}, 1},
		// Subquery ranges and offsets add up along the path.
		{[]string{"max_over_time(rate(x[1m])[30m:1m] offset 2m)"}, 33 * time.Minute, []string{"[31m:6s]", "timestamp(x offset 2m)", " + 120,"}, 1},
	} {
		f := planFreshness(p, c.queries...)
		if f.window != c.window {
			t.Errorf("%q: window %s, want %s", c.queries, f.window, c.window)
		}
		if c.want == nil {
			if f.query != "" {
				t.Errorf("%q: freshness query %q, want none", c.queries, f.query)
			}
			continue
		}
		if _, err := p.ParseExpr(f.query); err != nil {
			t.Errorf("%q: freshness query %q does not parse: %v", c.queries, f.query, err)
		}
		for _, frag := range c.want {
			if !strings.Contains(f.query, frag) {
				t.Errorf("%q: freshness query %q lacks %q", c.queries, f.query, frag)
			}
		}
		if n := strings.Count(f.query, selectorLabel); n != c.selectors {
			t.Errorf("%q: %q asks for %d selectors, want %d", c.queries, f.query, n, c.selectors)
		}
	}
}

// A ratio whose one side stopped updating is as old as that side; a
// selector with no series at all (never scraped) does not count.
func TestDataTimeIsTheOldestSelectorsNewestSampleIgnoringAbsentOnes(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{
		"ratio":  signal("ratio", `sum(rate(demo_served_total[5m])) / max(max_over_time(demo_queue_depth{queue="b"}[5m]))`),
		"absent": signal("absent", `(sum(rate(demo_never_total[5m])) or vector(0)) + sum(rate(demo_served_total[5m]))`),
		"none":   signal("none", "max(demo_never_total)"),
	}, SamplerOptions{})
	waitScrapes(t, p, "demo_served_total", 30) // 1.5s: across a 1s subquery step

	p.queues.DeleteLabelValues("b") // the series ends: a stale marker at the next scrape
	gone := time.Now()
	time.Sleep(time.Second)
	snap := s.Tick(context.Background())

	r := snap.Samples["ratio"]
	if r.Err != nil || !r.HasValue {
		t.Fatalf("ratio: %+v", r)
	}
	// Behind its stale marker the subquery finds the ended series' last
	// sample to within its 1s step.
	// Bounded by the time since it ended (plus a scrape interval and the
	// subquery step), however slow this machine is: not a fixed 3s.
	if dataAge, since := r.DataAge(), time.Since(gone); dataAge < time.Second || dataAge > since+2*time.Second {
		t.Errorf("ratio with an ended denominator: data age %s, want its %s since it ended (- up to the 1s step)", dataAge, time.Since(gone).Round(time.Millisecond))
	}
	a := snap.Samples["absent"]
	if a.Err != nil || !a.HasValue || a.DataAt.IsZero() || a.DataAge() > time.Second {
		t.Errorf("absent 5xx side: %+v (data age %s), want the fresh total's data time", a, a.DataAge())
	}
	n := snap.Samples["none"]
	if n.Err != nil || n.HasValue || !n.DataAt.IsZero() || n.Age(n.At.Add(3*time.Second)) != 3*time.Second {
		t.Errorf("only an absent selector: %+v, want no data time and the query's age", n)
	}
}

func TestQueryWithoutSelectorsKeepsTheQueryAge(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{"one": signal("one", "vector(1)")}, SamplerOptions{})
	smp := s.Tick(context.Background()).Samples["one"]
	if smp.Err != nil || !smp.HasValue || !smp.DataAt.IsZero() || smp.Window != 0 {
		t.Fatalf("vector(1): %+v", smp)
	}
	if age := smp.Age(smp.At.Add(3 * time.Second)); age != 3*time.Second {
		t.Errorf("age %s, want 3s, the age of the evaluation", age)
	}
	if n := p.fresh.Load(); n != 0 {
		t.Errorf("%d data-time queries for a query without selectors, want 0", n)
	}
}

func TestFailedDataTimeQueryWarnsAndKeepsThePreviousDataTime(t *testing.T) {
	p := startProm(t)
	c := &clock{t: time.Now()}
	s := NewSampler(p.api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{Now: c.Now})
	first := s.Tick(context.Background()).Samples["ratio"]
	if first.Err != nil || first.DataAt.IsZero() || len(first.Warnings) != 0 {
		t.Fatalf("first tick: %+v", first)
	}
	p.failFresh.Store(true)
	c.Add(40 * time.Second)
	second := s.Tick(context.Background()).Samples["ratio"]
	if second.Err != nil || !second.HasValue || !second.At.Equal(c.Now()) {
		t.Fatalf("a failed data-time query failed the signal: %+v", second)
	}
	if !second.DataAt.Equal(first.DataAt) {
		t.Errorf("data time %s, want the previous %s", second.DataAt, first.DataAt)
	}
	if age, want := second.Age(c.Now()), 40*time.Second+first.DataAge(); age != want {
		t.Errorf("age %s, want %s: the kept data time ages", age, want)
	}
	if len(second.Warnings) != 1 || !strings.Contains(second.Warnings[0], "data time: querying prometheus: execution: query processing would load too many samples") ||
		!strings.Contains(second.Warnings[0], "keeping the previous one") {
		t.Errorf("warnings %q, want the data-time failure", second.Warnings)
	}
}

// Debian's Prometheus server, scraping a target that goes down: the failed
// scrape writes stale markers, after which timestamp() of the series finds
// nothing while rate() over the range still answers. The data time comes
// from the range then, so the sample still ages.
func TestRealPrometheusTargetDownAgesTheSignal(t *testing.T) {
	reg := prometheus.NewRegistry()
	served := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_served_total", Help: "Requests served."})
	reg.MustRegister(served)
	exposition := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(10)
		exposition.ServeHTTP(w, r)
	}))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	base := testsvc.Prometheus(t, []testsvc.ScrapeTarget{{Job: "demo", HostPort: net.JoinHostPort(u.Hostname(), u.Port())}}, 100*time.Millisecond)
	api, err := NewAPI(config.Prometheus{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	s := NewSampler(api, map[string]*config.Signal{
		"served": signal("served", "sum(rate(demo_served_total[5m]))"),
		// Data exactly as old as the offset asks for is fresh.
		"offset": signal("offset", "sum(rate(demo_served_total[5m] offset 1s))"),
	}, SamplerOptions{Now: c.Now})

	deadline := time.Now().Add(20 * time.Second)
	var snap Snapshot
	for {
		c.t = time.Now()
		snap = s.Tick(context.Background())
		// Both values and both data times: on a busy machine a tick's
		// data-time query may time out (a warning; the next tick retries).
		served, offset := snap.Samples["served"], snap.Samples["offset"]
		if served.HasValue && offset.HasValue && !served.DataAt.IsZero() && !offset.DataAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rate with its data time from the real Prometheus after 20s: %+v", snap.Samples)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, smp := range snap.Samples {
		if smp.DataAt.IsZero() || smp.Age(c.Now()) > time.Second {
			t.Errorf("%s, fresh: data at %s, age %s, want within a few 100ms scrapes", name, smp.DataAt, smp.Age(c.Now()))
		}
	}

	time.Sleep(1100 * time.Millisecond) // data across a 1s subquery step
	target.Close()                      // scrapes fail from now on: up 0, stale markers
	downAt := time.Now()
	time.Sleep(300 * time.Millisecond)
	c.t = downAt.Add(2 * time.Minute)
	old := s.Tick(context.Background()).Samples["served"]
	if old.Err != nil || !old.HasValue || old.Value <= 0 {
		t.Fatalf("2m after the target went down: %+v, want rate() still answering", old)
	}
	// Behind a stale marker the subquery finds the last sample to within its 1s step.
	if age := old.Age(c.Now()); age < 2*time.Minute || age > 2*time.Minute+2*time.Second {
		t.Errorf("2m after the target went down: age %s, want ≈2m (data at %s, down at %s)", age, old.DataAt, downAt)
	}
}

// waitScrapes waits until the store holds at least n samples of metric.
func waitScrapes(t testing.TB, p *prom, metric string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _, _, err := p.api.Query(context.Background(), "count_over_time("+metric+"[1m])", time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) == 1 && float64(vec[0].Value) >= float64(n) {
			p.queries.Store(0)
			p.fresh.Store(0)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d samples of %s after 20s (last error %v)", n, metric, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
