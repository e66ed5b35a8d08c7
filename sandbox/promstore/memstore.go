package promstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/annotations"
)

const (
	// samplesPerChunk is where Prometheus's head cuts a float chunk.
	samplesPerChunk = 120
	// truncateEvery spaces retention passes: dropping whole chunks once a
	// minute of data time keeps an idle world's memory flat without a
	// per-scrape walk over every series.
	truncateEvery = 60_000 // ms
)

// memStore is the world's in-memory storage.Queryable: one XOR-encoded
// chunk list per series, as in Prometheus's head block, without its
// write-ahead log, index or compaction (and without tsdb's dependency on
// Prometheus's config and service-discovery packages, which link the cloud
// SDKs).
//
// One RWMutex guards everything: a commit appends a whole scrape under the
// write lock, so a query never sees half a scrape (Prometheus's head
// isolation), and Select copies what it returns under the read lock (closed
// chunks are immutable and shared, the head chunk is cloned), so iterating
// never races with the next append.
type memStore struct {
	mu     sync.RWMutex
	series map[uint64][]*memSeries // by labels hash; a slice for collisions
	// minValid is the last retention cut-off: older samples are refused,
	// as Prometheus refuses samples older than its head.
	minValid int64
}

// memSeries is one series: its labels and its chunks, oldest first. The
// last chunk is the head, the only one still appended to.
type memSeries struct {
	lset   labels.Labels
	chunks []memChunk
	app    chunkenc.Appender // the head chunk's appender
	lastV  float64           // the head's newest value, to tell duplicates apart
}

// memChunk is one XOR chunk with the time span of its samples.
type memChunk struct {
	chunk      *chunkenc.XORChunk
	minT, maxT int64
}

// sample is one sample waiting in a batch.
type sample struct {
	lset labels.Labels
	t    int64
	v    float64
}

// batch collects one scrape's samples; memStore.commit makes them visible
// all at once.
type batch struct{ samples []sample }

func (b *batch) add(lset labels.Labels, t int64, v float64) {
	b.samples = append(b.samples, sample{lset, t, v})
}

func newMemStore() *memStore {
	return &memStore{series: map[uint64][]*memSeries{}, minValid: math.MinInt64}
}

// commit appends a batch. Rejected samples (out of order, a different
// value at the same timestamp, older than retention) are dropped as
// Prometheus drops them; the rest still count. The error lists the
// rejected ones.
func (m *memStore) commit(b *batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, s := range b.samples {
		if err := m.append(s); err != nil {
			errs = append(errs, fmt.Errorf("%s @%d: %w", s.lset, s.t, err))
		}
	}
	return errors.Join(errs...)
}

// append adds one sample; the caller holds the write lock. A stale marker
// for a series the store does not hold is ignored: there is nothing to end.
func (m *memStore) append(s sample) error {
	if s.t < m.minValid {
		return storage.ErrOutOfBounds
	}
	hash := s.lset.Hash()
	ser := m.get(hash, s.lset)
	if ser == nil {
		if value.IsStaleNaN(s.v) {
			return nil
		}
		ser = &memSeries{lset: s.lset}
		m.series[hash] = append(m.series[hash], ser)
	}
	return ser.append(s.t, s.v)
}

func (m *memStore) get(hash uint64, lset labels.Labels) *memSeries {
	for _, s := range m.series[hash] {
		if labels.Equal(s.lset, lset) {
			return s
		}
	}
	return nil
}

// append adds a sample to the head chunk, cutting a new head every
// samplesPerChunk samples. Same timestamp and same value is a silent
// no-op (a target repeating an explicit timestamp), as in Prometheus.
func (s *memSeries) append(t int64, v float64) error {
	if n := len(s.chunks); n > 0 {
		head := &s.chunks[n-1]
		switch {
		case t < head.maxT:
			return storage.ErrOutOfOrderSample
		case t == head.maxT && math.Float64bits(v) == math.Float64bits(s.lastV):
			return nil
		case t == head.maxT:
			return storage.ErrDuplicateSampleForTimestamp
		}
		if head.chunk.NumSamples() >= samplesPerChunk {
			head.chunk.Compact() // closed from now on: shared with readers
		} else {
			s.app.Append(0, t, v)
			head.maxT, s.lastV = t, v
			return nil
		}
	}
	c := chunkenc.NewXORChunk()
	app, err := c.Appender()
	if err != nil {
		return fmt.Errorf("opening a chunk appender: %w", err)
	}
	app.Append(0, t, v)
	s.chunks = append(s.chunks, memChunk{chunk: c, minT: t, maxT: t})
	s.app, s.lastV = app, v
	return nil
}

// truncate drops the chunks whose newest sample is older than mint, and
// the series left with none, at most once per truncateEvery.
func (m *memStore) truncate(mint int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.minValid != math.MinInt64 && mint-m.minValid < truncateEvery {
		return
	}
	m.minValid = mint
	for hash, list := range m.series {
		list = slices.DeleteFunc(list, func(s *memSeries) bool {
			old := 0
			for old < len(s.chunks) && s.chunks[old].maxT < mint {
				old++
			}
			s.chunks = slices.Delete(s.chunks, 0, old)
			return len(s.chunks) == 0
		})
		if len(list) == 0 {
			delete(m.series, hash)
		} else {
			m.series[hash] = list
		}
	}
}

// clear drops every series.
func (m *memStore) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.series = map[uint64][]*memSeries{}
}

// Querier implements storage.Queryable.
func (m *memStore) Querier(mint, maxt int64) (storage.Querier, error) {
	return &memQuerier{m: m, mint: mint, maxt: maxt}, nil
}

// memQuerier reads the series with samples in [mint, maxt].
type memQuerier struct {
	m          *memStore
	mint, maxt int64
}

// each calls f, under the read lock, with every series that matches all
// matchers and has a chunk overlapping [mint, maxt], and with the indexes
// of those chunks.
func (m *memStore) each(mint, maxt int64, ms []*labels.Matcher, f func(s *memSeries, from, to int)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, list := range m.series {
		for _, s := range list {
			if !matches(s.lset, ms) {
				continue
			}
			from, to := s.overlapping(mint, maxt)
			if from < to {
				f(s, from, to)
			}
		}
	}
}

func matches(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

// overlapping is the index range of the chunks overlapping [mint, maxt].
func (s *memSeries) overlapping(mint, maxt int64) (from, to int) {
	from = len(s.chunks)
	for i, c := range s.chunks {
		if c.maxT >= mint {
			from = i
			break
		}
	}
	to = from
	for to < len(s.chunks) && s.chunks[to].minT <= maxt {
		to++
	}
	return from, to
}

// snapshot is what a query may keep of chunks [from, to): the closed ones
// as they are, the head as a copy, since the next scrape appends to it.
func (s *memSeries) snapshot(from, to int) []chunkenc.Iterable {
	out := make([]chunkenc.Iterable, 0, to-from)
	for i := from; i < to; i++ {
		c := s.chunks[i].chunk
		if i == len(s.chunks)-1 {
			c = chunkenc.NewXORChunk()
			c.Reset(slices.Clone(s.chunks[i].chunk.Bytes()))
		}
		out = append(out, c)
	}
	return out
}

// Select implements storage.Querier: the matching series, their chunks
// trimmed to the querier's range narrowed by the hints (as tsdb does unless
// DisableTrimming), sorted by labels when asked, at most hints.Limit.
func (q *memQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	if err := ctx.Err(); err != nil {
		return storage.ErrSeriesSet(err)
	}
	mint, maxt := q.mint, q.maxt
	if hints != nil && !hints.DisableTrimming {
		mint, maxt = max(mint, hints.Start), min(maxt, hints.End)
	}
	var out []storage.Series
	q.m.each(mint, maxt, ms, func(s *memSeries, from, to int) {
		chunks := s.snapshot(from, to)
		out = append(out, &storage.SeriesEntry{
			Lset: s.lset,
			SampleIteratorFn: func(it chunkenc.Iterator) chunkenc.Iterator {
				return storage.ChainSampleIteratorFromIterables(it, chunks)
			},
		})
	})
	if sortSeries || (hints != nil && hints.Limit > 0) {
		slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	}
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return &sliceSeriesSet{series: out}
}

// LabelValues implements storage.LabelQuerier: the sorted non-empty values
// of name among the matching series with samples in range.
func (q *memQuerier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.labels(ctx, hints, ms, func(lset labels.Labels, add func(string)) {
		if v := lset.Get(name); v != "" {
			add(v)
		}
	})
}

// LabelNames implements storage.LabelQuerier: the sorted label names of
// the matching series with samples in range.
func (q *memQuerier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.labels(ctx, hints, ms, func(lset labels.Labels, add func(string)) {
		lset.Range(func(l labels.Label) { add(l.Name) })
	})
}

// labels collects what pick adds from each matching series, sorted and
// deduplicated, cut to hints.Limit.
func (q *memQuerier) labels(ctx context.Context, hints *storage.LabelHints, ms []*labels.Matcher, pick func(labels.Labels, func(string))) ([]string, annotations.Annotations, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	set := map[string]struct{}{}
	add := func(v string) { set[v] = struct{}{} }
	q.m.each(q.mint, q.maxt, ms, func(s *memSeries, _, _ int) { pick(s.lset, add) })
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	if hints != nil && hints.Limit > 0 && len(out) > hints.Limit {
		out = out[:hints.Limit]
	}
	return out, nil, nil
}

// Close implements storage.LabelQuerier; a memQuerier holds nothing.
func (*memQuerier) Close() error { return nil }

// sliceSeriesSet iterates series selected up front.
type sliceSeriesSet struct {
	series []storage.Series
	next   int
}

func (s *sliceSeriesSet) Next() bool {
	if s.next >= len(s.series) {
		return false
	}
	s.next++
	return true
}

func (s *sliceSeriesSet) At() storage.Series              { return s.series[s.next-1] }
func (*sliceSeriesSet) Err() error                        { return nil }
func (*sliceSeriesSet) Warnings() annotations.Annotations { return nil }
