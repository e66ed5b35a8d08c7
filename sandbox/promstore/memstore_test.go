package promstore

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

var stale = math.Float64frombits(value.StaleNaN)

// commitOne commits a single sample and returns the store's verdict.
func commitOne(m *memStore, lset labels.Labels, t int64, v float64) error {
	b := &batch{}
	b.add(lset, t, v)
	return m.commit(b)
}

// fill commits n samples one second apart from t0, value = index.
func fill(t *testing.T, m *memStore, lset labels.Labels, t0 int64, n int) {
	t.Helper()
	for i := range n {
		if err := commitOne(m, lset, t0+int64(i)*1000, float64(i)); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
	}
}

type point struct {
	t int64
	v float64
}

// selectAll runs Select on [mint, maxt] and reads every series out. It
// reports failures with Errorf, so goroutines may call it.
func selectAll(t *testing.T, m *memStore, mint, maxt int64, sorted bool, hints *storage.SelectHints, ms ...*labels.Matcher) map[string][]point {
	t.Helper()
	q, _ := m.Querier(mint, maxt) // never fails
	defer q.Close()
	set := q.Select(context.Background(), sorted, hints, ms...)
	out := map[string][]point{}
	var order []labels.Labels
	for set.Next() {
		s := set.At()
		order = append(order, s.Labels())
		out[s.Labels().String()] = readPoints(t, s.Iterator(nil))
	}
	if err := set.Err(); err != nil {
		t.Errorf("select: %v", err)
	}
	if sorted && !slices.IsSortedFunc(order, labels.Compare) {
		t.Errorf("sorted select returned %v", order)
	}
	return out
}

func readPoints(t *testing.T, it chunkenc.Iterator) []point {
	t.Helper()
	var ps []point
	for it.Next() == chunkenc.ValFloat {
		ts, v := it.At()
		ps = append(ps, point{ts, v})
	}
	if err := it.Err(); err != nil {
		t.Errorf("iterating: %v", err)
	}
	return ps
}

func TestChunksAreCutEvery120Samples(t *testing.T) {
	m := newMemStore()
	lset := labels.FromStrings("__name__", "x")
	fill(t, m, lset, 0, 300)
	s := m.get(lset.Hash(), lset)
	var sizes []int
	for _, c := range s.chunks {
		sizes = append(sizes, c.chunk.NumSamples())
	}
	if !slices.Equal(sizes, []int{120, 120, 60}) {
		t.Errorf("chunk sizes = %v, want [120 120 60]", sizes)
	}
	got := selectAll(t, m, math.MinInt64, math.MaxInt64, false, nil)[lset.String()]
	if len(got) != 300 {
		t.Fatalf("read back %d samples, want 300", len(got))
	}
	for i, p := range got {
		if p.t != int64(i)*1000 || p.v != float64(i) {
			t.Fatalf("sample %d = %+v, want {%d %d}", i, p, i*1000, i)
		}
	}
}

func TestOutOfOrderAndDuplicateSamplesAreRefused(t *testing.T) {
	m := newMemStore()
	lset := labels.FromStrings("__name__", "x")
	must(t, commitOne(m, lset, 10_000, 1))
	for _, tc := range []struct {
		t    int64
		v    float64
		want error
	}{
		{5_000, 1, storage.ErrOutOfOrderSample},
		{10_000, 2, storage.ErrDuplicateSampleForTimestamp},
		{10_000, 1, nil}, // an exact repeat is a no-op, as in Prometheus
	} {
		if err := commitOne(m, lset, tc.t, tc.v); !errors.Is(err, tc.want) {
			t.Errorf("append @%d = %v: %v, want %v", tc.t, tc.v, err, tc.want)
		}
	}
	if got := selectAll(t, m, 0, math.MaxInt64, false, nil)[lset.String()]; !slices.Equal(got, []point{{10_000, 1}}) {
		t.Errorf("stored %v, want only the first sample", got)
	}
	// A stale marker for a series never seen creates nothing.
	ghost := labels.FromStrings("__name__", "ghost")
	must(t, commitOne(m, ghost, 11_000, stale))
	if got := selectAll(t, m, 0, math.MaxInt64, false, nil); len(got) != 1 {
		t.Errorf("series after a stray stale marker = %v, want only x", got)
	}
}

// TestEngineDropsAStaleSeriesAtOnce is staleness through the real engine:
// one second after the stale marker the series is gone from an instant
// query, not held for the 5m lookback, and before the marker it is there.
func TestEngineDropsAStaleSeriesAtOnce(t *testing.T) {
	m := newMemStore()
	gone := labels.FromStrings("__name__", "q", "queue", "b")
	kept := labels.FromStrings("__name__", "q", "queue", "a")
	for i := range int64(10) {
		b := &batch{}
		b.add(kept, i*1000, 1)
		if i < 5 {
			b.add(gone, i*1000, 2)
		} else if i == 5 {
			b.add(gone, i*1000, stale)
		}
		must(t, m.commit(b))
	}
	for _, tc := range []struct {
		at   int64
		want int
	}{{4_000, 2}, {5_000, 1}, {9_000, 1}} {
		if got := instantCount(t, m, "q", tc.at); got != tc.want {
			t.Errorf("q @%dms: %d series, want %d", tc.at, got, tc.want)
		}
	}
}

// instantCount evaluates q at ms with the engine the Store uses; -1 and
// an Errorf when it fails, so goroutines may call it.
func instantCount(t *testing.T, m *memStore, q string, ms int64) int {
	t.Helper()
	engine := promql.NewEngine(promql.EngineOpts{Parser: parser.NewParser(parser.Options{}), MaxSamples: 1e6,
		Timeout: time.Minute, LookbackDelta: defaultLookbackDelta})
	qry, err := engine.NewInstantQuery(context.Background(), m, nil, q, time.UnixMilli(ms))
	if err != nil {
		t.Errorf("query %s: %v", q, err)
		return -1
	}
	defer qry.Close()
	vec, err := qry.Exec(context.Background()).Vector()
	if err != nil {
		t.Errorf("query %s: %v", q, err)
		return -1
	}
	return len(vec)
}

func TestRetentionDropsOldChunksAndSeries(t *testing.T) {
	m := newMemStore()
	live := labels.FromStrings("__name__", "live")
	old := labels.FromStrings("__name__", "old")
	must(t, commitOne(m, old, 0, 1))
	must(t, commitOne(m, old, 1000, stale))
	hour := time.Hour.Milliseconds()
	chunksAt := map[int64]int{}
	for ts := int64(0); ts <= 4*hour; ts += 10_000 {
		must(t, commitOne(m, live, ts, float64(ts)))
		m.truncate(ts - retention.Milliseconds())
		if ts%hour == 0 {
			chunksAt[ts/hour] = len(m.get(live.Hash(), live).chunks)
		}
	}
	if m.get(old.Hash(), old) != nil {
		t.Error("a series with nothing newer than the retention is still held")
	}
	if chunksAt[3] != chunksAt[4] || chunksAt[4] > chunksAt[2]+1 {
		t.Errorf("chunks held at 2h, 3h, 4h = %d, %d, %d: memory not flat after the 2h retention", chunksAt[2], chunksAt[3], chunksAt[4])
	}
	first := selectAll(t, m, math.MinInt64, math.MaxInt64, false, nil)[live.String()][0]
	if oldest := 4*hour - retention.Milliseconds(); first.t < oldest-samplesPerChunk*10_000-truncateEvery || first.t > oldest {
		t.Errorf("oldest sample kept @%d, want within a chunk and a truncation step before %d", first.t, oldest)
	}
	if err := commitOne(m, old, 1000, 1); !errors.Is(err, storage.ErrOutOfBounds) {
		t.Errorf("a sample older than retention: %v, want %v", err, storage.ErrOutOfBounds)
	}
}

func TestSelectMatchesSortsLimitsAndTrims(t *testing.T) {
	m := newMemStore()
	for _, q := range []string{"c", "a", "b"} {
		fill(t, m, labels.FromStrings("__name__", "depth", "queue", q), 100_000, 10)
	}
	fill(t, m, labels.FromStrings("__name__", "other", "queue", "a"), 0, 10) // 0..9s
	eq := labels.MustNewMatcher(labels.MatchEqual, "__name__", "depth")
	for _, tc := range []struct {
		ms   []*labels.Matcher
		want int
	}{
		{[]*labels.Matcher{eq}, 3},
		{[]*labels.Matcher{eq, labels.MustNewMatcher(labels.MatchNotEqual, "queue", "a")}, 2},
		{[]*labels.Matcher{eq, labels.MustNewMatcher(labels.MatchRegexp, "queue", "a|b")}, 2},
		{[]*labels.Matcher{labels.MustNewMatcher(labels.MatchNotRegexp, "queue", "b|c")}, 2},
		{[]*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "missing", "")}, 4},
	} {
		if got := selectAll(t, m, 0, math.MaxInt64, true, nil, tc.ms...); len(got) != tc.want {
			t.Errorf("%v: %d series, want %d", tc.ms, len(got), tc.want)
		}
	}
	limited := selectAll(t, m, 0, math.MaxInt64, false, &storage.SelectHints{Start: 0, End: math.MaxInt64, Limit: 1}, eq)
	if _, ok := limited[`{__name__="depth", queue="a"}`]; len(limited) != 1 || !ok {
		t.Errorf("limit 1 = %v, want the first series by labels", limited)
	}
	// The hints narrow the querier's range: "other" ended at 9s.
	trimmed := selectAll(t, m, 0, math.MaxInt64, false, &storage.SelectHints{Start: 50_000, End: 200_000})
	if len(trimmed) != 3 {
		t.Errorf("series in [50s, 200s] = %v, want the three depth series", trimmed)
	}
	q, _ := m.Querier(0, math.MaxInt64)
	if set := q.Select(canceled(), false, nil, eq); set.Next() || set.Err() == nil {
		t.Error("select on a canceled context returned series or no error")
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestLabelNamesAndValuesFollowMatchersAndRange(t *testing.T) {
	m := newMemStore()
	fill(t, m, labels.FromStrings("__name__", "depth", "queue", "a"), 100_000, 3)
	fill(t, m, labels.FromStrings("__name__", "depth", "queue", "b", "shard", "1"), 100_000, 3)
	fill(t, m, labels.FromStrings("__name__", "up", "job", "j"), 0, 3)
	ctx := context.Background()
	q, _ := m.Querier(50_000, math.MaxInt64)
	names, _, err := q.LabelNames(ctx, nil)
	if err != nil || !slices.Equal(names, []string{"__name__", "queue", "shard"}) {
		t.Errorf("label names since 50s = %v, %v; want __name__ queue shard (up ended before)", names, err)
	}
	vals, _, err := q.LabelValues(ctx, "queue", nil, labels.MustNewMatcher(labels.MatchEqual, "shard", "1"))
	if err != nil || !slices.Equal(vals, []string{"b"}) {
		t.Errorf("queue values for shard=1 = %v, %v; want [b]", vals, err)
	}
	vals, _, err = q.LabelValues(ctx, "queue", &storage.LabelHints{Limit: 1})
	if err != nil || !slices.Equal(vals, []string{"a"}) {
		t.Errorf("queue values, limit 1 = %v, %v; want [a]", vals, err)
	}
	if _, _, err := q.LabelNames(canceled(), nil); err == nil {
		t.Error("label names on a canceled context: no error")
	}
}

// TestSelectedHeadChunkIsACopy: what Select returned does not change when
// the head chunk it came from is appended to afterwards.
func TestSelectedHeadChunkIsACopy(t *testing.T) {
	m := newMemStore()
	lset := labels.FromStrings("__name__", "x")
	fill(t, m, lset, 0, 5)
	q, _ := m.Querier(math.MinInt64, math.MaxInt64)
	set := q.Select(context.Background(), false, nil)
	if !set.Next() {
		t.Fatal("no series")
	}
	for i := range int64(200) { // across a chunk cut
		must(t, commitOne(m, lset, 5000+i*1000, 0))
	}
	if got := readPoints(t, set.At().Iterator(nil)); len(got) != 5 {
		t.Errorf("a selected series grew to %d samples after Select, want 5", len(got))
	}
}

// TestConcurrentCommitsAndQueries runs commits across chunk cuts beside
// selects and engine queries (meant for -race) until both sides have done
// their share, and checks that a query never sees half a batch: a and b
// are committed together, so a snapshot holds as many samples of each.
func TestConcurrentCommitsAndQueries(t *testing.T) {
	m := newMemStore()
	a, b := labels.FromStrings("__name__", "pair", "s", "a"), labels.FromStrings("__name__", "pair", "s", "b")
	const minCommits, minReads, readers = 600, 100, 2
	var reads, commits, readersLeft atomic.Int64
	readersLeft.Store(readers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := int64(0); i < minCommits || (reads.Load() < minReads && readersLeft.Load() > 0); i++ {
			bt := &batch{}
			bt.add(a, i*1000, float64(i))
			bt.add(b, i*1000, float64(i))
			if err := m.commit(bt); err != nil {
				t.Errorf("commit %d: %v", i, err)
				return
			}
			m.truncate(i*1000 - retention.Milliseconds())
			commits.Add(1)
		}
	})
	for range readers {
		wg.Go(func() {
			defer readersLeft.Add(-1)
			for {
				select {
				case <-done:
					return
				default:
				}
				got := selectAll(t, m, math.MinInt64, math.MaxInt64, true, nil)
				if la, lb := len(got[a.String()]), len(got[b.String()]); la != lb {
					t.Errorf("a query saw %d samples of a and %d of b: half a batch", la, lb)
					return
				}
				instantCount(t, m, "pair", commits.Load()*1000)
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	if got, want := len(selectAll(t, m, math.MinInt64, math.MaxInt64, false, nil)[a.String()]), min(commits.Load(), retention.Milliseconds()/1000+1); int64(got) < want-samplesPerChunk || int64(got) > commits.Load() {
		t.Errorf("a holds %d samples after %d commits", got, commits.Load())
	}
}

func TestCloseFreesTheSamples(t *testing.T) {
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s.mem, labels.FromStrings("__name__", "x"), 0, 3)
	if got := selectAll(t, s.mem, math.MinInt64, math.MaxInt64, false, nil); len(got) != 1 {
		t.Fatalf("before Close: %v, want one series", got)
	}
	must(t, s.Close())
	must(t, s.Close()) // twice is fine
	if got := selectAll(t, s.mem, math.MinInt64, math.MaxInt64, false, nil); len(got) != 0 {
		t.Errorf("after Close: %v, want nothing held", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
