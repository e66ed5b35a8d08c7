package sandbox_test

import (
	"context"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox"
)

const (
	// parityScrape is the scrape interval of both stores.
	parityScrape = time.Second
	// parityRun is how long both servers scrape before they are compared:
	// long enough for every rate() to have many samples and for the
	// tolerance lookback to lie inside both histories. The default windows
	// (5m–15m) are not full by then; see the tolerance below.
	parityRun = 40 * time.Second
	// toleranceLookback is how far back the natural one-interval change of
	// each query is measured.
	toleranceLookback = 30 * time.Second
)

// TestEmbeddedStoreAgreesWithRealPrometheus runs every default signal query
// (config.DefaultSignals(), and the generated config's override), plus
// `up`, against the world's embedded store and against Debian's real
// Prometheus scraping the same targets, at the same evaluation time.
//
// Both must return the same series (same label sets, instance included:
// both scrape the same host:port). Values must agree within what a query
// moves in the intervals the two histories differ by. The world starts with
// scrapes-stopped so the embedded store ingests nothing until the real
// server is scraping; from then on both ingest, but at different phases of
// the interval, and the real one may have a scrape or two more. Every
// default window is longer than the test, so an increase() over it
// legitimately differs by that many intervals' growth, plus up to one
// interval at each end of the history for the phase. Both amounts are
// measured, not guessed: the history difference k, the most by which any
// job's count of successful scrapes differs between the stores, and for
// each series the largest change between
// consecutive 1s steps over the last 30s in either store; the tolerance is
// (k+2) times that change (plus 1e-9 relative for float rounding). A
// constant series gets a tolerance of (almost) zero. NaN agrees only with NaN.
func TestEmbeddedStoreAgreesWithRealPrometheus(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("scrapes for 40s; skipped with -short")
	}
	w := startWorld(t, sandbox.Options{ScrapeInterval: parityScrape, Scenarios: []string{sandbox.FaultScrapesStopped}})
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatalf("loading the generated config: %v", err)
	}
	var targets []testsvc.ScrapeTarget
	for job, hostPort := range w.MetricsTargets("staging") {
		targets = append(targets, testsvc.ScrapeTarget{Job: job, HostPort: hostPort, Labels: map[string]string{"env": "staging"}})
	}
	real := promAPI(t, testsvc.Prometheus(t, targets, parityScrape))
	// The real server applies new targets a few seconds after it is ready
	// (its discovery updates are batched): start the embedded store's
	// ingestion once the real one has scraped every target.
	eventually(t, 30*time.Second, "the real prometheus scraped every target", func() (bool, string) {
		vec, err := instant(t.Context(), real, "up", time.Now())
		if err != nil {
			return false, err.Error()
		}
		return len(vec) == len(targets), vec.String()
	})
	if err := w.SetFault("staging", sandbox.FaultScrapesStopped, false); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	embedded := promAPI(t, w.PrometheusURL("staging"))

	queries := parityQueries(config.DefaultSignals(), cfg.Environments["staging"].Signals)
	select {
	case <-time.After(time.Until(start.Add(parityRun))):
	case <-t.Context().Done():
		return
	}
	// Both servers have scraped past `at` by now, so neither answers from a
	// sample the other has not had the chance to take.
	at := time.Now().Add(-2 * parityScrape).Truncate(time.Second)
	k := historyDifference(scrapes(t, embedded, at), scrapes(t, real, at))
	t.Logf("history difference: %v scrapes", k)
	for _, q := range queries {
		a := evalAt(t, embedded, q, at)
		b := evalAt(t, real, q, at)
		if !slices.Equal(labelSets(a), labelSets(b)) {
			t.Errorf("%s: series differ\n embedded: %v\n real:     %v", q, labelSets(a), labelSets(b))
			continue
		}
		tolA := oneIntervalChange(t, embedded, q, at)
		tolB := oneIntervalChange(t, real, q, at)
		for i := range a {
			key := a[i].Metric.String()
			va, vb := float64(a[i].Value), float64(b[i].Value)
			tol := (k+2)*max(tolA[key], tolB[key]) + 1e-9*max(math.Abs(va), math.Abs(vb))
			if !agree(va, vb, tol) {
				t.Errorf("%s %s: embedded %v, real %v, differ by more than %v intervals' change (%v)", q, key, va, vb, k+2, tol)
			}
			t.Logf("%s %s: embedded %v real %v tolerance %v", q, key, va, vb, tol)
		}
	}
}

// scrapes is how many successful scrapes a store holds of each job by at
// (up is 1 for each): a scrape that timed out on a busy machine leaves
// that job's history shorter in one store only.
func scrapes(t *testing.T, p promv1.API, at time.Time) map[string]float64 {
	t.Helper()
	vec := evalAt(t, p, `sum by (job) (sum_over_time(up[1h]))`, at)
	if len(vec) == 0 {
		t.Fatalf("counting scrapes: no job")
	}
	n := make(map[string]float64, len(vec))
	for _, s := range vec {
		n[string(s.Metric["job"])] = float64(s.Value)
	}
	return n
}

// historyDifference is the most scrapes by which the two stores' histories
// of any one job differ: every job's series may be read by some query.
func historyDifference(a, b map[string]float64) float64 {
	k := 0.0
	for job, n := range a {
		k = max(k, math.Abs(n-b[job]))
	}
	for job, n := range b {
		k = max(k, math.Abs(n-a[job]))
	}
	return k
}

// parityQueries are `up` and every query and volume query of the signal sets.
func parityQueries(sets ...map[string]*config.Signal) []string {
	qs := []string{"up"}
	for _, signals := range sets {
		for _, s := range signals {
			for _, q := range []string{s.Query, s.VolumeQuery} {
				if q != "" && !slices.Contains(qs, q) {
					qs = append(qs, q)
				}
			}
		}
	}
	sort.Strings(qs[1:])
	return qs
}

// evalAt runs an instant query at a fixed time, series sorted by labels.
func evalAt(t *testing.T, p promv1.API, q string, at time.Time) model.Vector {
	t.Helper()
	vec, err := instant(t.Context(), p, q, at)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	sort.Slice(vec, func(i, j int) bool { return vec[i].Metric.String() < vec[j].Metric.String() })
	return vec
}

func labelSets(v model.Vector) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = s.Metric.String()
	}
	return out
}

// oneIntervalChange is, per series, the largest change of q between
// consecutive scrape-interval steps over the lookback before at.
func oneIntervalChange(t *testing.T, p promv1.API, q string, at time.Time) map[string]float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	v, _, _, err := p.QueryRange(ctx, q, promv1.Range{Start: at.Add(-toleranceLookback), End: at, Step: parityScrape})
	if err != nil {
		t.Fatalf("%s over the last %s: %v", q, toleranceLookback, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		t.Fatalf("%s: range query answered a %s", q, v.Type())
	}
	out := map[string]float64{}
	for _, s := range m {
		for i := 1; i < len(s.Values); i++ {
			d := math.Abs(float64(s.Values[i].Value - s.Values[i-1].Value))
			if !math.IsNaN(d) {
				out[s.Metric.String()] = max(out[s.Metric.String()], d)
			}
		}
	}
	return out
}

func agree(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
