package promstore

import (
	"math"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// scrapedStore runs a store with the stepping clock against a demo target
// until it has been scraped at least n times, then stops scraping, so the
// data is fixed: the scrape stamped base+k s saw demo_requests_total=10(k+1).
// loadedScrapeTimeout lets a scrape of the local demo target outlive its
// interval on a loaded machine: with the default (9/10 of the interval) a
// slow scrape fails, its series are marked stale, and a test counting
// samples finds a hole the machine made, not the store.
const loadedScrapeTimeout = 30 * time.Second

func scrapedStore(t *testing.T, d *demoTarget, n int64, during func()) (*running, *steppingClock) {
	t.Helper()
	clock := &steppingClock{}
	r := startStore(t, Options{ScrapeInterval: 250 * time.Millisecond, ScrapeTimeout: loadedScrapeTimeout, Targets: []Target{d.target("demo")}, Now: clock.Now})
	d.waitRequests(t, n)
	if during != nil {
		during()
	}
	r.stop()
	return r, clock
}

func instant(t *testing.T, r *running, q string, at time.Time) model.Vector {
	t.Helper()
	v, _, _, err := r.api.Query(queryCtx(t), q, at)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("query %s: got %s, want a vector", q, v.Type())
	}
	return vec
}

func one(t *testing.T, vec model.Vector, q string) *model.Sample {
	t.Helper()
	if len(vec) != 1 {
		t.Fatalf("%s: got %d series (%v), want 1", q, len(vec), vec)
	}
	return vec[0]
}

func TestClientGolangQueriesScrapedData(t *testing.T) {
	t.Parallel()
	d := newDemoTarget(t)
	r, _ := scrapedStore(t, d, 15, nil)
	at := base.Add(12 * time.Second)
	instance := strings.TrimPrefix(d.srv.URL, "http://")

	up := one(t, instant(t, r, "up", at), "up")
	wantUp := model.Metric{"__name__": "up", "job": "demo", "instance": model.LabelValue(instance), "env": "rehearsal"}
	if !up.Metric.Equal(wantUp) || up.Value != 1 || !up.Timestamp.Time().Equal(at) {
		t.Errorf("up = %v @%v, want %v => 1 @%v", up.Metric, up.Timestamp.Time(), wantUp, at)
	}

	rate := one(t, instant(t, r, "rate(demo_requests_total[10s])", at), "rate")
	if _, hasName := rate.Metric["__name__"]; hasName || rate.Metric["job"] != "demo" {
		t.Errorf("rate labels = %v, want job/instance/env without __name__", rate.Metric)
	}
	if math.Abs(float64(rate.Value)-10) > 1e-9 {
		t.Errorf("rate(demo_requests_total[10s]) = %v, want 10 (10 per 1s scrape)", rate.Value)
	}

	sum := one(t, instant(t, r, "sum by (job) (demo_queue_depth)", at), "sum by")
	if !sum.Metric.Equal(model.Metric{"job": "demo"}) || sum.Value != 50 {
		t.Errorf("sum by (job) = %v => %v, want {job=demo} => 50", sum.Metric, sum.Value)
	}

	scraped := one(t, instant(t, r, "scrape_samples_scraped", at), "scrape_samples_scraped")
	if scraped.Value != 3 {
		t.Errorf("scrape_samples_scraped = %v, want 3 (one counter, two gauges)", scraped.Value)
	}

	v, _, _, err := r.api.QueryRange(queryCtx(t), "demo_requests_total", v1.Range{Start: base.Add(2 * time.Second), End: at, Step: time.Second})
	if err != nil {
		t.Fatalf("query_range: %v", err)
	}
	m, ok := v.(model.Matrix)
	if !ok || len(m) != 1 || len(m[0].Values) != 11 {
		t.Fatalf("query_range = %v, want one series with 11 points", v)
	}
	for i, p := range m[0].Values {
		k := i + 2
		if !p.Timestamp.Time().Equal(base.Add(time.Duration(k)*time.Second)) || float64(p.Value) != float64(10*(k+1)) {
			t.Errorf("point %d = %v @%v, want %d @base+%ds", i, p.Value, p.Timestamp.Time(), 10*(k+1), k)
		}
	}
}

func TestDisappearedSeriesIsStaleAtOnce(t *testing.T) {
	t.Parallel()
	d := newDemoTarget(t)
	var removedAfter int64
	r, clock := scrapedStore(t, d, 4, func() {
		d.queues.DeleteLabelValues("b")
		removedAfter = d.requests.Load()
		d.waitRequests(t, removedAfter+3)
	})
	if got := len(instant(t, r, "demo_queue_depth", base.Add(time.Second))); got != 2 {
		t.Fatalf("before removal: %d queue series, want 2", got)
	}
	last := base.Add(time.Duration(clock.calls.Load()-1) * time.Second)
	vec := instant(t, r, "demo_queue_depth", last)
	if len(vec) != 1 || vec[0].Metric["queue"] != "a" {
		t.Errorf("after removal: %v, want only queue=a (b stale, not held for the 5m lookback)", vec)
	}
}

func TestFailedScrapeIsDownAndStalesSeries(t *testing.T) {
	t.Parallel()
	d := newDemoTarget(t)
	r, clock := scrapedStore(t, d, 3, func() {
		d.fail.Store(true)
		d.waitRequests(t, d.requests.Load()+3)
	})
	last := base.Add(time.Duration(clock.calls.Load()-1) * time.Second)
	if up := one(t, instant(t, r, "up", last), "up"); up.Value != 0 {
		t.Errorf("up after failing scrapes = %v, want 0", up.Value)
	}
	if n := one(t, instant(t, r, "scrape_samples_scraped", last), "scraped"); n.Value != 0 {
		t.Errorf("scrape_samples_scraped after failure = %v, want 0", n.Value)
	}
	if vec := instant(t, r, "demo_queue_depth", last); len(vec) != 0 {
		t.Errorf("series of a failed target = %v, want none (stale)", vec)
	}
}

func TestWarningsAndInfosReachTheClient(t *testing.T) {
	t.Parallel()
	d := newDemoTarget(t)
	r, _ := scrapedStore(t, d, 3, nil)
	_, warnings, _, err := r.api.Query(queryCtx(t), "quantile(2, demo_queue_depth)", base.Add(2*time.Second))
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), "quantile value should be between 0 and 1") {
		t.Errorf("warnings = %q, want the engine's quantile warning", warnings)
	}
}

func TestSeriesLabelsBuildinfoThroughClient(t *testing.T) {
	t.Parallel()
	d := newDemoTarget(t)
	r, _ := scrapedStore(t, d, 3, nil)
	ctx := queryCtx(t)

	series, _, _, err := r.api.Series(ctx, []string{"demo_queue_depth"}, base, base.Add(time.Hour))
	if err != nil {
		t.Fatalf("series: %v", err)
	}
	if len(series) != 2 || series[0]["queue"] != "a" || series[1]["queue"] != "b" {
		t.Errorf("series = %v, want queue a and b", series)
	}
	names, _, _, err := r.api.LabelNames(ctx, nil, base, base.Add(time.Hour))
	if err != nil {
		t.Fatalf("labels: %v", err)
	}
	if names.String() != "__name__, env, instance, job, queue" {
		t.Errorf("label names = %v", names)
	}
	values, _, _, err := r.api.LabelValues(ctx, "queue", []string{"demo_queue_depth"}, base, base.Add(time.Hour))
	if err != nil {
		t.Fatalf("label values: %v", err)
	}
	if len(values) != 2 || values[0] != "a" || values[1] != "b" {
		t.Errorf("queue values = %v, want [a b]", values)
	}
	info, err := r.api.Buildinfo(ctx)
	if err != nil || info.Version != engineVersion {
		t.Errorf("buildinfo = %+v, %v; want version %s", info, err, engineVersion)
	}
	md, err := r.api.Metadata(ctx, "", "")
	if err != nil || len(md) != 0 {
		t.Errorf("metadata = %v, %v; want an empty answer", md, err)
	}
}

func TestTargetLabelsWinOverExposedOnes(t *testing.T) {
	st, err := newScrapeTarget(Target{Job: "demo", Instance: "rust-1", URL: "http://127.0.0.1:1/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	got := st.sampleLabels(labels.FromStrings("__name__", "x", "job", "inner", "exported_job", "taken"))
	want := labels.FromStrings("__name__", "x", "exported_exported_job", "inner", "exported_job", "taken", "instance", "rust-1", "job", "demo")
	if got.String() != want.String() {
		t.Errorf("labels = %s, want %s", got, want)
	}
}

func TestOpenRejectsBadTargets(t *testing.T) {
	for _, tc := range []Target{
		{Job: "", URL: "http://127.0.0.1:1/metrics"},
		{Job: "x", URL: "127.0.0.1:1/metrics"},
		{Job: "x", URL: "http://127.0.0.1:1/metrics", Labels: map[string]string{"__name__": "y"}},
	} {
		if s, err := Open(Options{Targets: []Target{tc}}); err == nil {
			_ = s.Close()
			t.Errorf("Open(%+v) succeeded, want an error", tc)
		}
	}
}
