package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// A Prometheus-compatible backend whose newest sample is dated an hour
// ahead (a remote store fed by a clock that runs ahead): the sampler takes
// the data time as answered, and the check holds the signal UNKNOWN "in the
// future (clock skew?)", although on_no_data and on_error would pass it;
// the same sample judged with max_clock_skew over an hour passes. Its age
// alone reads as the evaluation's, milliseconds: fresh.
func TestASampleFromTheFutureIsUnknown(t *testing.T) {
	future := time.Now().Add(time.Hour)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		value := "0.001"
		if strings.Contains(r.Form.Get("query"), "timestamp(") { // the data-time query
			value = fmt.Sprintf("%.3f", float64(future.UnixMilli())/1000)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`, time.Now().Unix(), value)
	}))
	t.Cleanup(backend.Close)
	api, err := metrics.NewAPI(config.Prometheus{URL: backend.URL})
	if err != nil {
		t.Fatal(err)
	}
	sig := &config.Signal{Name: "errors", Query: "max(errors_ratio)", Unit: "ratio", Crit: ptr(0.5), Direction: "above",
		Series: "one", OnNoData: config.PolicyFail, OnError: config.PolicyFail}
	s := metrics.NewSampler(api, map[string]*config.Signal{"errors": sig}, metrics.SamplerOptions{})
	smp := s.Tick(context.Background()).Samples["errors"]
	if smp.Err != nil || !smp.HasValue || smp.DataAt.Sub(future).Abs() > time.Millisecond {
		t.Fatalf("sample %+v, want the value with its data time an hour ahead", smp)
	}
	now := time.Now()
	if age := smp.Age(now); age > time.Second {
		t.Fatalf("age %s: the test needs a sample whose age alone reads fresh", age)
	}
	r := checks.NewThresholdCheck(sig, 30*time.Second).AllowClockSkew(5*time.Second).Evaluate(smp, now)
	if r.Verdict != checks.Unknown || !strings.Contains(r.Evidence.Reason, "sample data dated ") ||
		!strings.Contains(r.Evidence.Reason, "in the future (clock skew?)") {
		t.Fatalf("a sample from the future: %s (%s), want UNKNOWN, in the future (clock skew?)", r.Verdict, r.Line(now))
	}
	if r := checks.NewThresholdCheck(sig, 30*time.Second).AllowClockSkew(2*time.Hour).Evaluate(smp, now); r.Verdict != checks.Pass {
		t.Fatalf("the same sample within max_clock_skew 2h: %s (%s), want PASS", r.Verdict, r.Line(now))
	}
	if err := (metrics.Sample{At: now, DataAt: now.Add(-time.Minute)}).Future(now, 0); err != nil {
		t.Fatalf("a sample from the past: %v, want nil", err)
	}
}
