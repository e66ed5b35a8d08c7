package simmetrics

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCloudRunCountsOnlyAnsweredLabelSets(t *testing.T) {
	c := NewCloudRun()
	if n := testutil.CollectAndCount(c.requests); n != 0 {
		t.Fatalf("%d series before any request, want none (Cloud Run pre-creates nothing)", n)
	}
	c.Count("runtime-writes", "runtime-writes-rust-00001", http.StatusServiceUnavailable)
	c.Count("runtime-writes", "runtime-writes-rust-00001", http.StatusServiceUnavailable)
	c.Count("runtime", "runtime-00001-abc", http.StatusCreated)
	if got := testutil.ToFloat64(c.requests.WithLabelValues("runtime-writes", "runtime-writes-rust-00001", "503", "5xx")); got != 2 {
		t.Errorf("503 count = %v, want 2", got)
	}
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	want := `run_googleapis_com:request_count{response_code="201",response_code_class="2xx",revision_name="runtime-00001-abc",service_name="runtime"} 1`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("exposition lacks %s:\n%s", want, rec.Body.String())
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 202: "2xx", 404: "4xx", 410: "4xx", 500: "5xx", 503: "5xx"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %s, want %s", status, got, want)
		}
	}
}

// TestKhalaExportsTheTelemetryNames: the counters end in _count (never
// _total); as in the real deployment nothing exists before its first event
// and the lag summary never receives an observation.
func TestKhalaExportsTheTelemetryNames(t *testing.T) {
	k := NewKhala()
	reg := prometheus.NewRegistry()
	reg.MustRegister(k.Collectors()...)
	if families, err := reg.Gather(); err != nil || len(families) != 0 {
		t.Fatalf("before any event: %d families (%v), want none (nothing pre-created)", len(families), err)
	}
	k.Write(ProjectionRunSummary, false)
	k.Write(ProjectionRunSummary, true)
	k.Failure(ProjectionWorkerSummary, ReasonPersistenceError)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName()+":"+f.GetType().String())
		for _, m := range f.GetMetric() {
			if s := m.GetSummary(); s != nil && len(s.GetQuantile()) != 0 {
				t.Errorf("%s has quantiles %v, want only _sum and _count", f.GetName(), s.GetQuantile())
			}
		}
	}
	want := []string{
		"openagents_runtime_khala_projection_drift_count:COUNTER",
		"openagents_runtime_khala_projection_write_count:COUNTER",
		"openagents_runtime_khala_projection_write_failure_count:COUNTER",
	}
	if !slices.Equal(names, want) {
		t.Errorf("families %v, want %v", names, want)
	}
	checks := []struct {
		c    prometheus.Collector
		want float64
	}{
		{k.writes.WithLabelValues(ProjectionRunSummary, "ok"), 2},
		{k.writes.WithLabelValues(ProjectionWorkerSummary, "error"), 1},
		{k.drift.WithLabelValues(ProjectionRunSummary, ReasonSequenceGap), 1},
		{k.failures.WithLabelValues(ProjectionWorkerSummary, ReasonPersistenceError), 1},
	}
	for i, c := range checks {
		if v := testutil.ToFloat64(c.c); v != c.want {
			t.Errorf("check %d = %v, want %v", i, v, c.want)
		}
	}
}
