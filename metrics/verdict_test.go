package metrics_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

// The whole path with real scraping and real PromQL: fresh samples pass;
// two minutes after the scrapes stopped (the store stops scraping and writes
// no stale markers, as when a Prometheus stops scraping or ingestion lags),
// rate() still answers but the gate is UNKNOWN, stale, with the data's age
// as evidence.
func TestStoppedScrapesHoldTheGateWhileRateStillAnswers(t *testing.T) {
	p := metrics.StartTestProm(t)
	sig := &config.Signal{Name: "served", Query: "sum(rate(demo_served_total[5m]))", Unit: "events",
		Crit: ptr(1e9), Direction: "above", Series: "one", OnNoData: config.PolicyHold, OnError: config.PolicyHold}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := metrics.NewSampler(p.API(), map[string]*config.Signal{"served": sig}, metrics.SamplerOptions{Now: clock})
	check := checks.NewThresholdCheck(sig, 30*time.Second)
	p.WaitScrapes(t, 3)

	mu.Lock()
	now = time.Now()
	mu.Unlock()
	fresh := s.Tick(context.Background()).Samples["served"]
	r := check.Evaluate(fresh, clock())
	if r.Verdict != checks.Pass || r.Age(clock()) > time.Second {
		t.Fatalf("fresh samples: %s, age %s (%s), want PASS on data under a second old", r.Verdict, r.Age(clock()), r.Line(clock()))
	}

	p.StopScraping()
	mu.Lock()
	now = time.Now().Add(2 * time.Minute)
	mu.Unlock()
	old := s.Tick(context.Background()).Samples["served"]
	if !old.HasValue || old.Value <= 0 || old.Err != nil || !old.At.Equal(clock()) || old.Window != 5*time.Minute {
		t.Fatalf("2m after the last scrape: %+v, want rate() still answering, evaluated now, over 5m", old)
	}
	if age := old.Age(clock()); age < 2*time.Minute || age > 2*time.Minute+time.Second {
		t.Errorf("sample age %s, want ≈2m", age)
	}
	r = check.Evaluate(old, clock())
	line := r.Line(clock())
	if r.Verdict != checks.Unknown || !strings.Contains(r.Evidence.Reason, "stale: data 2m00s old > stale_after 30s") {
		t.Fatalf("2m after the last scrape: %s, want UNKNOWN stale on the data's age", line)
	}
	if !strings.HasSuffix(line, "age 2m00s") {
		t.Errorf("evidence %q, want the data's age at its end", line)
	}
}

func ptr(v float64) *float64 { return &v }
