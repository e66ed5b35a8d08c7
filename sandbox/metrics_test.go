package sandbox_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/sandbox"
)

// productionNames are the only metric names the real deployment has
// (docs/runtime-facts.md §6): Cloud Run's request count in Managed
// Prometheus and the legacy runtime's telemetry, summaries as their
// _sum/_count series.
var productionNames = []string{
	"run_googleapis_com:request_count",
	"phoenix_endpoint_stop_duration_count",
	"phoenix_endpoint_stop_duration_sum",
	"phoenix_router_dispatch_stop_duration_count",
	"phoenix_router_dispatch_stop_duration_sum",
	"openagents_runtime_khala_projection_lag_events",
	"openagents_runtime_khala_projection_lag_events_count",
	"openagents_runtime_khala_projection_lag_events_sum",
	"openagents_runtime_khala_projection_write_count",
	"openagents_runtime_khala_projection_write_failure_count",
	"openagents_runtime_khala_projection_drift_count",
	"openagents_runtime_khala_projection_replay_count",
}

// scrapeNames are the series any Prometheus writes per scrape itself.
var scrapeNames = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped",
	"scrape_samples_post_metric_relabeling", "scrape_series_added"}

// adjacentSelector is an identifier directly followed by `{` or `[`: a
// metric selector or a range, wherever it appears in the file.
var adjacentSelector = regexp.MustCompile(`([A-Za-z_:][A-Za-z0-9_:]*)[{\[]`)

// TestGeneratedConfigNamesOnlyProductionMetrics reads the rehearsal's
// cockpit.yaml as written and fails on any metric name outside the list
// of docs/runtime-facts.md §6: every identifier right before `{` or `[` in
// the file, and every selector PromQL finds in its queries (bare ones too).
func TestGeneratedConfigNamesOnlyProductionMetrics(t *testing.T) {
	t.Parallel()
	w, raw := generatedConfig(t)
	seen := map[string]bool{}
	for _, m := range adjacentSelector.FindAllStringSubmatch(string(raw), -1) {
		seen[m[1]] = true
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parsing %s: %v", w.ConfigPath, err)
	}
	queries := queriesIn(doc)
	if len(queries) == 0 {
		t.Fatal("found no query in the generated config; the test would prove nothing")
	}
	for _, q := range queries {
		for _, name := range selectorNames(t, q) {
			seen[name] = true
		}
	}
	for name := range seen {
		if !slices.Contains(productionNames, name) {
			t.Errorf("the generated config names %q, which is not a production metric (docs/runtime-facts.md §6)", name)
		}
	}
}

// TestGeneratedConfigDiffersFromTheDefaultsOnlyWhereDocumented: no default
// query is repeated; rust_write_share is the default with shorter windows;
// the incidents are the defaults with every duration at 30s.
func TestGeneratedConfigDiffersFromTheDefaultsOnlyWhereDocumented(t *testing.T) {
	t.Parallel()
	w, raw := generatedConfig(t)
	var doc struct {
		Signals map[string]map[string]any `yaml:"signals"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Signals) != 1 || len(doc.Signals["rust_write_share"]) != 1 {
		t.Fatalf("signals in the file = %v, want only rust_write_share's query", doc.Signals)
	}
	def := config.DefaultSignals()["rust_write_share"].Query
	got, _ := doc.Signals["rust_write_share"]["query"].(string)
	if got == def || strings.ReplaceAll(got, "[10s]", "[2m]") != def {
		t.Errorf("rust_write_share = %s\nwant the default with [10s] for [2m]:\n%s", got, def)
	}
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatalf("loading the generated config: %v", err)
	}
	defaults := config.DefaultIncidents()
	if len(cfg.Incidents) != len(defaults) {
		t.Fatalf("%d incidents, want the %d defaults", len(cfg.Incidents), len(defaults))
	}
	for name, d := range defaults {
		g := cfg.Incidents[name]
		if g == nil {
			t.Errorf("incident %s missing", name)
			continue
		}
		want := *d
		want.Name = name
		if d.For != 0 && name != "frozen_writes" { // its `for` stays above its 1m window
			want.For = config.Duration(30 * time.Second)
		}
		if d.KeepFiringFor != 0 {
			want.KeepFiringFor = config.Duration(30 * time.Second)
		}
		if !sameIncident(*g, want) {
			t.Errorf("incident %s = %+v, want %+v", name, *g, want)
		}
	}
}

// generatedConfig starts a world and returns its cockpit.yaml as written.
func generatedConfig(t *testing.T) (*sandbox.World, []byte) {
	t.Helper()
	w := startWorld(t, sandbox.Options{})
	raw, err := os.ReadFile(w.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	return w, raw
}

func sameIncident(a, b config.Incident) bool {
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	as, bs := a.Authority, b.Authority
	return a.Name == b.Name && a.Title == b.Title && a.Runbook == b.Runbook && a.Signal == b.Signal &&
		a.Source == b.Source && f(a.Above) == f(b.Above) && f(a.Below) == f(b.Below) &&
		a.For == b.For && a.KeepFiringFor == b.KeepFiringFor &&
		(as == nil) == (bs == nil) && (as == nil || *as == *bs)
}

// queriesIn collects every string under a query or volume_query key.
func queriesIn(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "query" || k == "volume_query") {
				out = append(out, s)
				continue
			}
			out = append(out, queriesIn(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, queriesIn(x)...)
		}
	}
	return out
}

// selectorNames are the metric names of every vector selector in q.
func selectorNames(t *testing.T, q string) []string {
	t.Helper()
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	if err != nil {
		t.Fatalf("parsing %s: %v", q, err)
	}
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if vs.Name == "" {
				t.Errorf("%s: a selector without a metric name (%s) could match anything", q, vs)
			}
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

// TestWorldExportsOnlyProductionSeries asks the embedded Prometheus for
// every metric name it holds once traffic, probes and a projected write on
// each runtime have run: only production names and the scrape's own series.
func TestWorldExportsOnlyProductionSeries(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sandbox.Options{})
	rust, _ := w.RuntimeURLs("staging")
	call(t, http.MethodGet, rust+"/healthz", nil, nil)
	prom := promAPI(t, w.PrometheusURL("staging"))
	var names []string
	eventually(t, 30*time.Second, "the Cloud Run request count and the legacy telemetry are scraped", func() (bool, string) {
		vec, err := instant(t.Context(), prom, `count by (__name__) ({__name__=~".+"})`, time.Now())
		if err != nil {
			return false, err.Error()
		}
		names = labelValues(vec, model.MetricNameLabel)
		return slices.Contains(names, "run_googleapis_com:request_count") && slices.Contains(names, "phoenix_endpoint_stop_duration_count") &&
			slices.Contains(names, "openagents_runtime_khala_projection_write_count"), strings.Join(names, " ")
	})
	for _, n := range names {
		if !slices.Contains(productionNames, n) && !slices.Contains(scrapeNames, n) {
			t.Errorf("the world exports %q, which the real deployment does not (docs/runtime-facts.md §6)", n)
		}
	}
	vec, err := instant(t.Context(), prom, `count by (job) (up)`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if jobs := labelValues(vec, "job"); !slices.Equal(jobs, []string{"legacy-runtime", "platform"}) {
		t.Errorf("scrape jobs %v, want legacy-runtime and platform (the Rust runtime exports nothing)", jobs)
	}
	if r := call(t, http.MethodGet, rust+"/metrics", nil, nil); r.status != http.StatusNotFound || r.body != "" {
		t.Errorf("GET rust /metrics = %d %q, want an empty 404", r.status, r.body)
	}
}

// labelValues are the values of one label across a vector, sorted.
func labelValues(vec model.Vector, label model.LabelName) []string {
	out := make([]string, 0, len(vec))
	for _, s := range vec {
		out = append(out, string(s.Metric[label]))
	}
	slices.Sort(out)
	return out
}
