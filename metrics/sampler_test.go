package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

func TestTickReadsValuesSeriesVolumeAndNoData(t *testing.T) {
	p := startProm(t)
	ratio := signal("ratio", "max(demo_error_ratio)")
	ratio.VolumeQuery = "sum(demo_requests)"
	queues := signal("queues", "demo_queue_depth")
	queues.Unit = "count"
	s := NewSampler(p.api, map[string]*config.Signal{
		"ratio":   ratio,
		"queues":  queues,
		"missing": signal("missing", "max(no_such_metric)"),
		"nan":     signal("nan", "vector(0) / vector(0)"),
	}, SamplerOptions{QueryTimeout: 5 * time.Second})

	snap := s.Tick(context.Background())
	if snap.Seq != 1 || len(snap.Samples) != 4 {
		t.Fatalf("snapshot seq %d with %d samples", snap.Seq, len(snap.Samples))
	}
	r := snap.Samples["ratio"]
	if r.Err != nil || !r.HasValue || r.Value != 0.0031 || r.Series != 1 || !r.HasVolume || r.Volume != 12 || !r.At.Equal(snap.At) {
		t.Errorf("ratio sample %+v", r)
	}
	q := snap.Samples["queues"]
	if q.Value != 42 || q.Series != 2 || len(q.Warnings) == 0 || !strings.Contains(q.Warnings[0], "2 series where one is expected") {
		t.Errorf("two series: value %v series %d warnings %q; want the worst (42), 2, a warning", q.Value, q.Series, q.Warnings)
	}
	m := snap.Samples["missing"]
	if m.Err != nil || m.HasValue || m.At.IsZero() {
		t.Errorf("no data: %+v, want evaluated, no value, no error", m)
	}
	n := snap.Samples["nan"]
	if n.Err != nil || n.HasValue || len(n.Warnings) == 0 || !strings.Contains(n.Warnings[0], "NaN") {
		t.Errorf("NaN: %+v, want no value with a NaN warning", n)
	}
	if snap := s.Tick(context.Background()); snap.Seq != 2 {
		t.Errorf("second tick seq %d, want 2", snap.Seq)
	}
}

func TestBadQueryCarriesPrometheusErrorDetail(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{"bad": signal("bad", "sum(rate(demo_error_ratio[1m])")}, SamplerOptions{})
	smp := s.Tick(context.Background()).Samples["bad"]
	var qe *QueryError
	if !errors.As(smp.Err, &qe) || qe.Type != "bad_data" || !strings.Contains(qe.Msg, "parse error") {
		t.Fatalf("bad query: err %v, want a bad_data QueryError with the parser's message", smp.Err)
	}
	if !strings.HasPrefix(smp.Err.Error(), "querying prometheus: bad_data: ") {
		t.Errorf("error reads %q", smp.Err)
	}
}

func TestTimeoutKeepsTheLastValueAndItsAge(t *testing.T) {
	p := startProm(t)
	c := &clock{t: time.Now()}
	s := NewSampler(p.api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")},
		SamplerOptions{QueryTimeout: 200 * time.Millisecond, Now: c.Now})
	first := s.Tick(context.Background()).Samples["ratio"]
	if first.Err != nil || !first.HasValue {
		t.Fatalf("first tick: %+v", first)
	}
	p.store.SetSlow(time.Minute) // a Prometheus that answers a minute late
	t.Cleanup(func() { p.store.SetSlow(0) })
	c.Add(time.Second)
	start := time.Now()
	second := s.Tick(context.Background()).Samples["ratio"]
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("tick took %s with a 200ms query timeout: it waited for the slow answer", d)
	}
	if second.Err == nil || !second.HasValue || second.Value != first.Value || !second.At.Equal(first.At) {
		t.Fatalf("after a timeout: %+v, want the error with the last value and its evaluation time", second)
	}
	if !second.DataAt.Equal(first.DataAt) {
		t.Errorf("data time %s, want the last good one %s", second.DataAt, first.DataAt)
	}
	if age, want := second.Age(c.Now()), time.Second+first.DataAge(); age != want {
		t.Errorf("age %s, want %s: the sample ages while queries fail", age, want)
	}
}

func TestOutageIsAnErrorNotNoData(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{QueryTimeout: time.Second})
	p.store.SetOutage(true)
	smp := s.Tick(context.Background()).Samples["ratio"]
	if smp.Err == nil || smp.HasValue || !smp.At.IsZero() {
		t.Fatalf("outage before any data: %+v, want an error, never observed", smp)
	}
}

func TestSlowSignalIsNotQueriedAgainWhileInFlight(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")},
		SamplerOptions{QueryTimeout: 5 * time.Second})
	p.store.SetSlow(500 * time.Millisecond)
	done := make(chan uint64)
	go func() { done <- s.Tick(context.Background()).Seq }()
	deadline := time.Now().Add(5 * time.Second)
	for p.queries.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	second := s.Tick(context.Background()) // the first query is still sleeping
	if second.Samples["ratio"].HasValue || second.Seq != 2 {
		t.Errorf("overlapping tick: seq %d sample %+v, want seq 2 and the (empty) last sample", second.Seq, second.Samples["ratio"])
	}
	if seq := <-done; seq != 1 {
		t.Errorf("first tick seq %d", seq)
	}
	if n := p.queries.Load(); n != 1 {
		t.Fatalf("%d queries for two overlapping ticks, want 1", n)
	}
}

func TestHistoryIsOneRangeQueryThenInstantValuesUntilTheWindowMovesAStep(t *testing.T) {
	p := startProm(t)
	c := &clock{t: time.Now()}
	s := NewSampler(p.api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")},
		SamplerOptions{Window: time.Minute, Step: 10 * time.Second, Now: c.Now})

	h := s.Tick(context.Background()).Samples["ratio"].History
	if p.ranges.Load() != 1 || len(h) == 0 || h[len(h)-1].V != 0.0031 {
		t.Fatalf("first tick: %d range queries, history %v", p.ranges.Load(), h)
	}
	c.Add(3 * time.Second)
	p.ratio.Set(0.5)
	p.waitValue(t, "demo_error_ratio", 0.5) // scraped, however slowly
	h2 := s.Tick(context.Background()).Samples["ratio"].History
	if p.ranges.Load() != 1 || len(h2) != len(h)+1 || h2[len(h2)-1].V != 0.5 || !h2[len(h2)-1].T.Equal(c.Now()) {
		t.Fatalf("within a step: %d range queries, history %v (was %d points), want the instant value appended", p.ranges.Load(), h2, len(h))
	}
	c.Add(7 * time.Second)
	s.Tick(context.Background())
	if p.ranges.Load() != 2 {
		t.Fatalf("after the window moved a step: %d range queries, want 2", p.ranges.Load())
	}
	if q, f := p.queries.Load(), p.fresh.Load(); q != 3 || f != 3 {
		t.Errorf("%d value and %d data-time queries for 3 ticks, want 3 and 3", q, f)
	}
}

// The bound holds where requests multiply: a batch that one signal breaks
// is asked again signal by signal, at most Concurrency at once.
func TestConcurrencyIsBounded(t *testing.T) {
	p := startProm(t)
	signals := map[string]*config.Signal{"broken": signal("broken", manyToMany)}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		signals[name] = signal(name, "max(demo_error_ratio)")
	}
	s := NewSampler(p.api, signals, SamplerOptions{Concurrency: 2, QueryTimeout: 5 * time.Second})
	p.store.SetSlow(100 * time.Millisecond)
	snap := s.Tick(context.Background())
	for name, smp := range snap.Samples {
		if (smp.Err != nil || !smp.HasValue) != (name == "broken") {
			t.Errorf("%s: %+v", name, smp)
		}
	}
	if n := p.queries.Load(); n < 8 {
		t.Fatalf("%d requests: the batch and each signal alone were not asked", n)
	}
	if got := p.maxActive.Load(); got != 2 {
		t.Fatalf("at most %d queries at once, want exactly the bound 2", got)
	}
}

// Query economy: a signal whose series is absent asks for its window once
// per step, not every tick; its request volume is asked once per fifth of
// stale_after, and between two asks the sample keeps the last. The data
// time rides in every round's request, so an age is the data's own at the
// round's time. Every round is one instant request for both signals, and
// one range request when the window moved a step.
func TestAbsentSeriesAndVolumeAreNotAskedEveryTick(t *testing.T) {
	p := startProm(t)
	c := &clock{t: time.Now()}
	ratio := signal("ratio", "max(demo_error_ratio)")
	ratio.VolumeQuery = "max(demo_error_ratio) " + volumeMark
	s := NewSampler(p.api, map[string]*config.Signal{
		"absent": signal("absent", "max(no_such_metric_anywhere)"),
		"ratio":  ratio,
	}, SamplerOptions{Window: time.Minute, Step: 10 * time.Second, StaleAfter: 50 * time.Second, Now: c.Now})
	first := s.Tick(context.Background())
	ranges, volumes := p.ranges.Load(), p.volumes.Load()
	if ranges != 1 || volumes != 1 || p.fresh.Load() != 1 {
		t.Fatalf("first tick: %d range, %d volume and %d data-time requests, want 1, 1 and 1 (both signals batched)", ranges, volumes, p.fresh.Load())
	}
	if smp := first.Samples["ratio"]; !smp.HasVolume || smp.Volume != 3.1 || smp.DataAt.IsZero() || len(smp.History) == 0 {
		t.Fatalf("first tick: ratio %+v, want its volume, data time and window from the batch", smp)
	}
	if smp := first.Samples["absent"]; smp.HasValue || !smp.Silent || smp.Err != nil {
		t.Fatalf("first tick: absent %+v, want no value and silent, no error", smp)
	}
	for i := range 4 { // 4 ticks 2s apart: inside a step and a fifth of stale_after (10s)
		c.Add(2 * time.Second)
		snap := s.Tick(context.Background())
		if smp := snap.Samples["ratio"]; !smp.HasVolume || smp.Volume != first.Samples["ratio"].Volume || smp.DataAt.IsZero() {
			t.Fatalf("a tick between volume asks lost the volume or the data time: %+v", smp)
		}
		if got := p.fresh.Load(); got != int64(i+2) {
			t.Fatalf("tick %d: %d data-time requests, want %d (the data time rides in every round)", i+2, got, i+2)
		}
	}
	if p.ranges.Load() != ranges || p.volumes.Load() != volumes {
		t.Fatalf("within a step: %d range and %d volume requests, want still %d and %d", p.ranges.Load(), p.volumes.Load(), ranges, volumes)
	}
	c.Add(2 * time.Second) // 10s since the first: a step and a fifth of stale_after
	s.Tick(context.Background())
	if p.ranges.Load() != ranges+1 || p.volumes.Load() != volumes+1 {
		t.Errorf("after a step: %d range and %d volume requests, want %d and %d", p.ranges.Load(), p.volumes.Load(), ranges+1, volumes+1)
	}
	if q := p.queries.Load(); q != 6 {
		t.Errorf("%d instant requests for 6 ticks of 2 signals, want 6 (one a round)", q)
	}
}
