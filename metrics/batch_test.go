package metrics

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// manyToMany is valid PromQL that fails at evaluation while
// demo_queue_depth has two series: on() matches both to both.
const manyToMany = "demo_queue_depth + on() demo_queue_depth"

// batchSignals are signals of every shape the batch carries: a volume
// guard, several series, no series, NaN, a scalar literal, a scalar
// function, a query without selectors, two first_event counters sharing
// one exporter (asked once), and the same query under two names.
func batchSignals() map[string]*config.Signal {
	ratio := signal("ratio", "max(demo_error_ratio)")
	ratio.VolumeQuery = "sum(demo_requests)"
	alias := signal("alias", "max(demo_error_ratio)")
	alias.Direction = "below"
	queues := signal("queues", "demo_queue_depth")
	exporter := &config.FirstEvent{Up: `up{job="demo"}`, Series: "demo_served_total"}
	drift := signal("drift", "sum(increase(demo_drift_total[5m]))")
	drift.FirstEvent = exporter
	replays := signal("replays", "sum(increase(demo_replay_total[5m]))")
	replays.FirstEvent = exporter
	return map[string]*config.Signal{
		"ratio": ratio, "alias": alias, "queues": queues, "drift": drift, "replays": replays,
		"rate":    signal("rate", "sum(rate(demo_served_total[5m]))"),
		"missing": signal("missing", "max(no_such_metric)"),
		"nan":     signal("nan", "vector(0) / vector(0)"),
		"literal": signal("literal", "1"),
		"scalar":  signal("scalar", "scalar(max(demo_queue_depth))"),
		"const":   signal("const", "vector(1)"),
	}
}

// The batched round answers exactly what each query asked alone answers:
// values, series counts, warnings, data times, silence, volumes, exporter
// liveness and windows; in one instant and one range request.
func TestOneRequestARoundAnswersAsEachQueryAlone(t *testing.T) {
	p := startProm(t)
	p.waitValue(t, "count(demo_served_total)", 1)
	p.stop() // the data stands still: both samplers read the same world
	c := &clock{t: time.Now()}
	opts := SamplerOptions{Window: time.Minute, Step: 10 * time.Second, Now: c.Now}
	batched := NewSampler(p.api, batchSignals(), opts)
	for name, bp := range batched.batch {
		if bp == nil {
			t.Fatalf("%s is not batched", name)
		}
	}
	got := batched.Tick(context.Background())
	if q, r := p.queries.Load(), p.ranges.Load(); q != 1 || r != 1 {
		t.Fatalf("batched round: %d instant and %d range requests, want 1 and 1", q, r)
	}
	if got.Fallback != "" {
		t.Fatalf("batched round fell back: %s", got.Fallback)
	}
	alone := NewSampler(p.api, batchSignals(), opts)
	clear(alone.batch) // no plan: every signal asked alone
	want := alone.Tick(context.Background())
	if q := p.queries.Load(); q < 20 {
		t.Fatalf("%d instant requests asking each query alone: the comparison did not ask alone", q-1)
	}
	for _, name := range slices.Sorted(maps.Keys(want.Samples)) {
		g, w := got.Samples[name], want.Samples[name]
		if g.Err != nil || w.Err != nil {
			t.Errorf("%s: errors %v (batched) and %v (alone)", name, g.Err, w.Err)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s batched:\n%+v\nalone:\n%+v", name, g, w)
		}
	}
	checkShapes(t, got.Samples)
}

// checkShapes pins what the batched samples say, so that two equally
// wrong samplers cannot agree.
func checkShapes(t *testing.T, smp map[string]Sample) {
	t.Helper()
	if r := smp["ratio"]; r.Value != 0.0031 || !r.HasVolume || r.Volume != 12 || r.DataAt.IsZero() || r.Silent || len(r.History) == 0 {
		t.Errorf("ratio %+v", r)
	}
	if q := smp["queues"]; q.Value != 42 || q.Series != 2 || !strings.Contains(strings.Join(q.Warnings, ";"), "2 series") {
		t.Errorf("queues %+v", q)
	}
	if a := smp["alias"]; a.Value != 0.0031 {
		t.Errorf("alias (the same query as ratio) %+v", a)
	}
	if m := smp["missing"]; m.HasValue || !m.Silent || m.At.IsZero() {
		t.Errorf("missing %+v, want evaluated, no value, silent", m)
	}
	if n := smp["nan"]; n.HasValue || !strings.Contains(strings.Join(n.Warnings, ";"), "NaN") {
		t.Errorf("nan %+v", n)
	}
	if l := smp["literal"]; l.Value != 1 || l.Series != 1 || !l.DataAt.IsZero() {
		t.Errorf("literal %+v", l)
	}
	if s := smp["scalar"]; s.Value != 42 || s.Series != 1 {
		t.Errorf("scalar %+v", s)
	}
	for _, name := range []string{"drift", "replays"} {
		d := smp[name]
		if alive, why := d.Exporter.Alive(d.At, time.Hour); d.HasValue || !alive {
			t.Errorf("%s: %+v, exporter alive %t (%s)", name, d, alive, why)
		}
	}
}

// A query that is valid PromQL but fails at evaluation fails the whole
// batched request: that round asks each signal alone, the healthy ones
// answer, the broken one carries its own error and says it broke the
// batch; it is then asked alone (the others stay batched) until its own
// query answers, and then rejoins the batch.
func TestABrokenSignalFallsBackAloneAndRejoins(t *testing.T) {
	p := startProm(t)
	waitScrapes(t, p, "demo_served_total", 3) // a rate to read
	c := &clock{t: time.Now()}
	s := NewSampler(p.api, map[string]*config.Signal{
		"ratio":  signal("ratio", "max(demo_error_ratio)"),
		"rate":   signal("rate", "sum(rate(demo_served_total[5m]))"),
		"broken": signal("broken", manyToMany),
	}, SamplerOptions{Now: c.Now, StaleAfter: time.Hour})

	first := s.Tick(context.Background())
	checkBroken(t, first, true)
	if !strings.Contains(first.Fallback, "many-to-many") || !strings.HasSuffix(first.Fallback, "broken by broken") {
		t.Errorf("fallback %q, want the batch's error and the signal that broke it", first.Fallback)
	}
	c.Add(time.Second)
	before := p.queries.Load()
	second := s.Tick(context.Background())
	checkBroken(t, second, false)
	// the batch; the broken signal's value and its data time (still due:
	// it has not answered since), each alone
	if second.Fallback != "" || p.queries.Load()-before != 3 {
		t.Errorf("second round: fallback %q, %d requests; want none and 3", second.Fallback, p.queries.Load()-before)
	}

	p.queues.DeleteLabelValues("b") // one series a side: the query heals
	p.waitValue(t, "count(demo_queue_depth)", 1)
	c.Add(time.Second)
	healed := s.Tick(context.Background())
	if b := healed.Samples["broken"]; b.Err != nil || b.Value != 84 || len(b.Warnings) != 0 {
		t.Fatalf("healed: %+v, want 42+42 and no warning", b)
	}
	c.Add(time.Second)
	before = p.queries.Load()
	if snap := s.Tick(context.Background()); snap.Samples["broken"].Value != 84 || p.queries.Load()-before != 1 {
		t.Errorf("after healing: %d requests, sample %+v; want 1 (back in the batch)", p.queries.Load()-before, snap.Samples["broken"])
	}
}

// checkBroken: the healthy signals have values, the broken one its own
// error (many-to-many, on its own query) and, when said, a warning that
// it broke the batch.
func checkBroken(t *testing.T, snap Snapshot, said bool) {
	t.Helper()
	for _, name := range []string{"ratio", "rate"} {
		if smp := snap.Samples[name]; smp.Err != nil || !smp.HasValue || len(smp.Warnings) != 0 {
			t.Errorf("%s: %+v, want a value from its own request", name, smp)
		}
	}
	b := snap.Samples["broken"]
	var qe *QueryError
	if !errors.As(b.Err, &qe) || qe.Query != manyToMany || !strings.Contains(qe.Msg, "many-to-many") {
		t.Fatalf("broken: err %v, want its own query's many-to-many error", b.Err)
	}
	if warned := slices.ContainsFunc(b.Warnings, func(w string) bool { return strings.Contains(w, "broke the round's batched request") }); warned != said {
		t.Errorf("broken: warnings %q, want the broken-batch warning %t", b.Warnings, said)
	}
}

// A batch that fails while every signal answers alone (a backend that
// cannot carry one) rests 1, 2, 4 … rounds, each signal asked alone
// meanwhile, instead of costing a failed request every round; once it
// answers, every round is one request again.
func TestABatchThatFailsWhileEachAnswersRests(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{
		"ratio":  signal("ratio", "max(demo_error_ratio)"),
		"queues": signal("queues", "max(demo_queue_depth)"),
	}, SamplerOptions{StaleAfter: time.Hour})
	p.failBatch.Store(true)
	var said []string
	for round := range 20 {
		snap := s.Tick(context.Background())
		for name, smp := range snap.Samples {
			if smp.Err != nil || !smp.HasValue {
				t.Fatalf("round %d: %s %+v, want a value from its own request", round+1, name, smp)
			}
		}
		said = append(said, snap.Fallback)
	}
	// tried at rounds 1, 3, 6, 11 and 20: resting 1, 2, 4 and 8 rounds
	if n := p.batches.Load(); n != 5 {
		t.Errorf("%d batched requests in 20 rounds, want 5", n)
	}
	if !strings.Contains(said[0], "this backend refuses batches") || !strings.HasSuffix(said[0], "each answered: it rests 1 round(s)") ||
		!strings.HasSuffix(said[1], "is tried again in 1 round(s)") || !strings.HasSuffix(said[2], "it rests 2 round(s)") {
		t.Errorf("fallbacks said %q", said[:3])
	}
	p.failBatch.Store(false)
	for range 16 { // past the longest rest, then one batched round
		s.Tick(context.Background())
	}
	before := p.queries.Load()
	if snap := s.Tick(context.Background()); snap.Fallback != "" || p.queries.Load()-before != 1 {
		t.Errorf("after the backend took batches again: fallback %q, %d requests, want one request", snap.Fallback, p.queries.Load()-before)
	}
}

// A query the batch cannot carry (a range vector, a string) is asked alone
// every round and fails as it would alone; the others stay batched.
func TestQueriesTheBatchCannotCarryAreAskedAlone(t *testing.T) {
	p := startProm(t)
	s := NewSampler(p.api, map[string]*config.Signal{
		"ok":     signal("ok", "max(demo_error_ratio)"),
		"range":  signal("range", "demo_error_ratio[1m]"),
		"string": signal("string", `"text"`),
	}, SamplerOptions{})
	snap := s.Tick(context.Background())
	if smp := snap.Samples["ok"]; smp.Err != nil || smp.Value != 0.0031 {
		t.Errorf("ok: %+v", smp)
	}
	if err := snap.Samples["range"].Err; err == nil || !strings.Contains(err.Error(), "range vector") {
		t.Errorf("range: %v, want the range-vector error", err)
	}
	if err := snap.Samples["string"].Err; err == nil || !strings.Contains(err.Error(), "string") {
		t.Errorf("string: %v, want the not-a-number error", err)
	}
	// the batch (ok), the range query and its data time, the string
	if n := p.queries.Load(); n != 4 || snap.Fallback != "" {
		t.Errorf("%d requests (fallback %q), want 4 and none", n, snap.Fallback)
	}
}

// A batched answer past the response cap fails the batch, and the signal
// whose own answer is past it says so; the others answer alone.
func TestTheResponseCapHoldsForTheBatch(t *testing.T) {
	p := startProm(t)
	api, err := NewAPI(config.Prometheus{URL: p.url}, WithMaxResponseBytes(2048))
	if err != nil {
		t.Fatal(err)
	}
	big := signal("big", `label_replace(max(demo_error_ratio), "pad", "`+strings.Repeat("x", 4096)+`", "", "")`)
	s := NewSampler(api, map[string]*config.Signal{"big": big, "ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{})
	snap := s.Tick(context.Background())
	if err := snap.Samples["big"].Err; err == nil || !strings.Contains(err.Error(), "response over") {
		t.Errorf("big: %v, want the response cap named", err)
	}
	if smp := snap.Samples["ratio"]; smp.Err != nil || smp.Value != 0.0031 {
		t.Errorf("ratio: %+v", smp)
	}
	if !strings.HasSuffix(snap.Fallback, "broken by big") {
		t.Errorf("fallback %q", snap.Fallback)
	}
}

// Prometheus's warnings on a batched request go to the signals whose
// metrics they name, and any other to every signal.
func TestBatchWarningsGoToTheSignalsTheyName(t *testing.T) {
	warnings := []string{`PromQL info: metric might not be a counter: "demo_error_ratio" (1:10)`, "something general"}
	mine := ownWarnings(warnings, []string{"demo_error_ratio"}, []string{"demo_error_ratio", "demo_served_total"})
	other := ownWarnings(warnings, []string{"demo_served_total"}, []string{"demo_error_ratio", "demo_served_total"})
	if len(mine) != 2 || len(other) != 1 || other[0] != "something general" {
		t.Errorf("mine %q, other %q", mine, other)
	}
}
