package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
)

func f(v float64) *float64 { return &v }

// errorRate is the default write error signal: ratio, warn 1%, crit 2%.
func errorRate() *config.Signal {
	return &config.Signal{Name: "write_error_rate", Title: "write 5xx ratio", Query: "sum(errors)/sum(total)",
		Unit: "ratio", Warn: f(0.01), Crit: f(0.02), Direction: "above",
		OnNoData: config.PolicyHold, OnError: config.PolicyHold}
}

// firstEvent is errorRate read from a counter that appears with its first
// event, on an exporter proven alive by up and its other series.
func firstEvent() *config.Signal {
	s := errorRate()
	s.FirstEvent = &config.FirstEvent{Up: `up{job="legacy-runtime"}`, Series: "phoenix_endpoint_stop_duration_count"}
	return s
}

// alive is an exporter asked at now: up 1, every series fresh.
func alive(now time.Time) metrics.Exporter {
	return metrics.Exporter{At: now, Up: 1, HasUp: true, UpAt: now.Add(-time.Second), SeriesAt: now.Add(-time.Second), AskSeries: true}
}

func with(e metrics.Exporter, mod func(*metrics.Exporter)) metrics.Exporter { mod(&e); return e }

func TestThresholdVerdicts(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fresh := func(v float64) metrics.Sample {
		return metrics.Sample{Value: v, HasValue: true, Series: 1, At: now.Add(-2 * time.Second)}
	}
	withSig := func(mod func(*config.Signal)) *config.Signal { s := errorRate(); mod(s); return s }
	cases := []struct {
		name   string
		sig    *config.Signal
		sample metrics.Sample
		want   Verdict
		// every fragment must appear in the one-line evidence
		evidence []string
	}{
		{"below warn passes", errorRate(), fresh(0.0031), Pass, []string{"sum(errors)/sum(total) → 0.31% → warn > 1%, crit > 2%"}},
		{"above warn warns", errorRate(), fresh(0.015), Warn, []string{"1.5%"}},
		{"above crit with no for fails", errorRate(), fresh(0.05), Fail, []string{"5%", "breached 0s"}},
		{"above crit with for pending", withSig(func(s *config.Signal) { s.For = config.Duration(5 * time.Minute) }), fresh(0.05), Pending, []string{"crit > 2% for 5m (breached 0s)"}},
		{"exactly at crit is not a breach", errorRate(), fresh(0.02), Warn, nil},
		{"below direction", withSig(func(s *config.Signal) { s.Unit, s.Warn, s.Crit, s.Direction = "bool", nil, f(1), "below" }), fresh(0), Fail, []string{"→ false →", "crit < true"}},
		{"below direction healthy", withSig(func(s *config.Signal) { s.Unit, s.Warn, s.Crit, s.Direction = "bool", nil, f(1), "below" }), fresh(1), Pass, nil},
		{"no thresholds is informational", withSig(func(s *config.Signal) { s.Warn, s.Crit = nil, nil }), fresh(0.9), Pass, []string{"no threshold (informational)"}},
		{"never observed", errorRate(), metrics.Sample{}, Unknown, []string{"not observed yet"}},
		{"stale evaluation", errorRate(), metrics.Sample{Value: 0, HasValue: true, At: now.Add(-42 * time.Second)}, Unknown, []string{"stale: evaluated 42s ago > stale_after 10s", "age 42s"}},
		// Scrapes stopped: the query still answers, but its data is old.
		{"stale data, fresh evaluation", errorRate(), metrics.Sample{Value: 0.001, HasValue: true, At: now.Add(-time.Second), DataAt: now.Add(-4*time.Minute - 12*time.Second)},
			Unknown, []string{"stale: data 4m12s old > stale_after 10s", "age 4m12s"}},
		{"fresh data", errorRate(), metrics.Sample{Value: 0.001, HasValue: true, At: now.Add(-time.Second), DataAt: now.Add(-3 * time.Second)}, Pass, []string{"→ PASS → age 3s"}},
		{"the signal's own stale_after", withSig(func(s *config.Signal) { s.StaleAfter = config.Duration(5 * time.Minute) }),
			metrics.Sample{Value: 0.001, HasValue: true, At: now, DataAt: now.Add(-4 * time.Minute)}, Pass, []string{"age 4m00s"}},
		{"the signal's own stale_after, exceeded", withSig(func(s *config.Signal) { s.StaleAfter = config.Duration(time.Minute) }),
			metrics.Sample{Value: 0.001, HasValue: true, At: now, DataAt: now.Add(-4 * time.Minute)}, Unknown, []string{"stale: data 4m00s old > stale_after 1m"}},
		{"no data holds", errorRate(), metrics.Sample{At: now}, Unknown, []string{"no data (policy hold)"}},
		{"no data fail", withSig(func(s *config.Signal) { s.OnNoData = config.PolicyFail }), metrics.Sample{At: now}, Fail, []string{"no data (policy fail)"}},
		// Silence: no series behind the query at all. A fallback value
		// (or vector(0)) is no evidence, and the age is not 0.
		{"silence is never fresh", errorRate(), metrics.Sample{Value: 0, HasValue: true, At: now, Silent: true}, Unknown, []string{"no sample", "silence is never fresh"}},
		{"silence with no value", errorRate(), metrics.Sample{At: now, Silent: true}, Unknown, []string{"no sample"}},
		{"first event, exporter alive", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: alive(now)}, Pass,
			[]string{"→ 0%", "no series yet: appears with its first event", "exporter is up"}},
		{"first event, exporter alive, crit 0 from a count", withSig(func(s *config.Signal) {
			s.FirstEvent, s.Unit, s.Warn, s.Crit = &config.FirstEvent{Up: "up"}, "count", nil, f(0)
		}), metrics.Sample{At: now, Silent: true, Exporter: alive(now)}, Pass, []string{"→ 0 →"}},
		{"first event, exporter never asked", firstEvent(), metrics.Sample{At: now, Silent: true}, Unknown, []string{"not been asked"}},
		{"first event, exporter down", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: with(alive(now), func(e *metrics.Exporter) { e.Up = 0 })},
			Unknown, []string{"exporter is down (up = 0)", "cannot be read as 0"}},
		{"first event, exporter not scraped", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: with(alive(now), func(e *metrics.Exporter) { e.HasUp = false })},
			Unknown, []string{"up series does not exist"}},
		{"first event, scrapes stopped", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: with(alive(now), func(e *metrics.Exporter) { e.UpAt = now.Add(-2 * time.Minute) })},
			Unknown, []string{"up is stale: 2m0s old > stale_after 10s (scrapes stopped?)"}},
		{"first event, other series stale", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: with(alive(now), func(e *metrics.Exporter) { e.SeriesAt = now.Add(-2 * time.Minute) })},
			Unknown, []string{"other series are stale: 2m0s old"}},
		{"first event, exporter query failed", firstEvent(), metrics.Sample{At: now, Silent: true, Exporter: with(alive(now), func(e *metrics.Exporter) { e.Err = errors.New("connection refused") })},
			Unknown, []string{"connection refused"}},
		{"first event, a value is judged as usual", firstEvent(), fresh(0.05), Fail, []string{"5%"}},
		{"not judged", withSig(func(s *config.Signal) { s.Required, s.Reason = new(false), "the summary never fills" }), fresh(0.05), NotJudged, []string{"not judged: the summary never fills"}},
		{"error holds", errorRate(), metrics.Sample{At: now, Err: errors.New("bad_data: parse error")}, Unknown, []string{"query error: bad_data: parse error (policy hold)"}},
		{"error fail", withSig(func(s *config.Signal) { s.OnError = config.PolicyFail }), metrics.Sample{At: now, Err: errors.New("timeout")}, Fail, nil},
		{"keep_last without history", withSig(func(s *config.Signal) { s.OnError = config.PolicyKeepLast }), metrics.Sample{At: now, Err: errors.New("timeout")}, Unknown, []string{"no earlier verdict"}},
		{"too little traffic", withSig(func(s *config.Signal) { s.VolumeQuery, s.MinRequests = "sum(total)", 20 }),
			metrics.Sample{Value: 0.5, HasValue: true, Volume: 12, HasVolume: true, At: now}, Unknown, []string{"insufficient traffic (12 of 20 requests)"}},
		{"no volume data", withSig(func(s *config.Signal) { s.VolumeQuery, s.MinRequests = "sum(total)", 20 }),
			metrics.Sample{Value: 0, HasValue: true, At: now}, Unknown, []string{"insufficient traffic (no volume data"}},
		{"enough traffic", withSig(func(s *config.Signal) { s.VolumeQuery, s.MinRequests = "sum(total)", 20 }),
			metrics.Sample{Value: 0.001, HasValue: true, Volume: 20, HasVolume: true, At: now}, Pass, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewThresholdCheck(c.sig, 10*time.Second).Evaluate(c.sample, now)
			if r.Verdict != c.want {
				t.Fatalf("verdict %s, want %s (%s)", r.Verdict, c.want, r.Line(now))
			}
			line := r.Line(now)
			for _, frag := range c.evidence {
				if !strings.Contains(line, frag) {
					t.Errorf("evidence %q lacks %q", line, frag)
				}
			}
			if r.ObservedAt != c.sample.At {
				t.Errorf("ObservedAt %s, want the sample's evaluation time %s", r.ObservedAt, c.sample.At)
			}
		})
	}
}

func TestStaleAfterIsTheSignalsOwnElseTheGlobal(t *testing.T) {
	sig := errorRate()
	if got := StaleAfter(sig, 30*time.Second); got != 30*time.Second {
		t.Errorf("no stale_after of its own: %s, want the global 30s", got)
	}
	sig.StaleAfter = config.Duration(5 * time.Minute)
	if got := StaleAfter(sig, 30*time.Second); got != 5*time.Minute {
		t.Errorf("stale_after 5m: %s, want 5m", got)
	}
}

func TestThresholdKeepLastAgesFromTheDataTime(t *testing.T) {
	sig := errorRate()
	sig.OnError = config.PolicyKeepLast
	check := NewThresholdCheck(sig, 10*time.Second)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good := metrics.Sample{Value: 0.015, HasValue: true, At: t0, DataAt: t0.Add(-6 * time.Second)}
	check.Evaluate(good, t0)
	failed := good
	failed.Err = errors.New("querying prometheus: timeout")
	r := check.Evaluate(failed, t0.Add(5*time.Second))
	if r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "keep_last: last verdict WARN is stale: 11s > 10s") {
		t.Fatalf("5s after a value whose data was 6s old: %s (%s), want UNKNOWN, stale", r.Verdict, r.Evidence.Reason)
	}
}

func TestThresholdTimelineForAndKeepFiring(t *testing.T) {
	sig := errorRate()
	sig.For, sig.KeepFiringFor = config.Duration(5*time.Minute), config.Duration(2*time.Minute)
	check := NewThresholdCheck(sig, 10*time.Second)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		v    float64
		want Verdict
		rule string
	}{
		{0, 0.001, Pass, ""},
		{time.Minute, 0.03, Pending, "breached 0s"},
		{2*time.Minute + 10*time.Second, 0.03, Pending, "crit > 2% for 5m (breached 1m10s)"},
		{6 * time.Minute, 0.03, Fail, "breached 5m"},
		{7 * time.Minute, 0.001, Fail, "cleared 0s ago, keeps firing for 2m"},
		{8 * time.Minute, 0.015, Fail, "cleared 1m ago"},
		{9 * time.Minute, 0.015, Warn, ""},
		{10 * time.Minute, 0.001, Pass, ""},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		r := check.Evaluate(metrics.Sample{Value: s.v, HasValue: true, At: now}, now)
		if r.Verdict != s.want || !strings.Contains(r.Evidence.Rule, s.rule) {
			t.Fatalf("+%s value %v: %s %q, want %s containing %q", s.at, s.v, r.Verdict, r.Evidence.Rule, s.want, s.rule)
		}
	}
}

func TestThresholdKeepLastHoldsTheLastVerdictUntilStale(t *testing.T) {
	sig := errorRate()
	sig.OnError = config.PolicyKeepLast
	check := NewThresholdCheck(sig, 10*time.Second)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	check.Evaluate(metrics.Sample{Value: 0.015, HasValue: true, At: t0}, t0)

	// The sampler keeps the last good evaluation time on a failed query.
	failed := metrics.Sample{Value: 0.015, HasValue: true, At: t0, Err: errors.New("querying prometheus: timeout")}
	r := check.Evaluate(failed, t0.Add(4*time.Second))
	if r.Verdict != Warn || !strings.Contains(r.Evidence.Reason, "keep_last: WARN from 4s ago") {
		t.Fatalf("4s after the last good value: %s (%s), want WARN kept", r.Verdict, r.Evidence.Reason)
	}
	r = check.Evaluate(failed, t0.Add(11*time.Second))
	if r.Verdict != Unknown || !strings.Contains(r.Evidence.Reason, "stale") {
		t.Fatalf("11s after the last good value: %s (%s), want UNKNOWN stale", r.Verdict, r.Evidence.Reason)
	}
}

func TestThresholdNoDataResetsTheTimer(t *testing.T) {
	sig := errorRate()
	sig.For = config.Duration(time.Minute)
	check := NewThresholdCheck(sig, time.Hour)
	t0 := time.Now()
	check.Evaluate(metrics.Sample{Value: 0.5, HasValue: true, At: t0}, t0)
	// No data is a false condition, as in a Prometheus rule: the timer resets.
	check.Evaluate(metrics.Sample{At: t0.Add(30 * time.Second)}, t0.Add(30*time.Second))
	r := check.Evaluate(metrics.Sample{Value: 0.5, HasValue: true, At: t0.Add(70 * time.Second)}, t0.Add(70*time.Second))
	if r.Verdict != Pending {
		t.Fatalf("after a no-data gap the breach restarts: %s, want PENDING", r.Verdict)
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.0031, "ratio", "0.31%"}, {0.02, "ratio", "2%"}, {0.00001, "ratio", "0.001%"},
		{1, "bool", "true"}, {0, "bool", "false"}, {12, "count", "12"}, {2.5, "events", "2.5"}, {42, "percent", "42%"},
	} {
		if got := FormatValue(c.v, c.unit); got != c.want {
			t.Errorf("FormatValue(%v, %s) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}

// TestLevelIsTheCheckWithoutFor: the screen's colour of a value and the
// verdict of a check without for: are one rule, on both sides, at the
// thresholds themselves (equal is no breach) and between them.
func TestLevelIsTheCheckWithoutFor(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	below := errorRate()
	below.Warn, below.Crit, below.Direction = f(0.99), f(0.95), config.Below
	for _, sig := range []*config.Signal{errorRate(), below} {
		for _, v := range []float64{0, 0.005, 0.01, 0.015, 0.02, 0.5, 0.95, 0.97, 0.99, 1} {
			want := NewThresholdCheck(sig, time.Minute).Evaluate(metrics.Sample{Value: v, HasValue: true, Series: 1, At: now}, now).Verdict
			if got := Level(sig, v); got != want {
				t.Errorf("%s %v: Level = %s, the check says %s", sig.Direction, v, got, want)
			}
		}
	}
	if got := Level(nil, 1e9); got != Pass {
		t.Errorf("Level of no signal = %s, want PASS", got)
	}
}
