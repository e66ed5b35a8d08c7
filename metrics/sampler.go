package metrics

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
)

// SamplerOptions tune the sampler. Zero values pick the defaults noted.
type SamplerOptions struct {
	QueryTimeout time.Duration    // bounds each query; default 5s
	Concurrency  int              // queries in flight at once; default 4
	Window       time.Duration    // sparkline history; 0 keeps no history
	Step         time.Duration    // history resolution; default Window/60
	Now          func() time.Time // default time.Now
	// StaleAfter is the data age past which a value is stale (a signal's
	// own stale_after wins). A signal's request volume and exporter
	// liveness are asked for once per fifth of it, not every tick: the
	// volume is an increase over minutes, and between two asks the
	// exporter's age only grows, so its silence is never missed, at most
	// seen a fifth early. The data time is asked every round (it rides in
	// the round's one request). 0 asks everything every tick.
	StaleAfter time.Duration
}

// Sampler polls Prometheus for every signal, in one request a round: every
// signal's value and data time, and the volumes and exporter liveness that
// are due, go in one batched instant query, the windows that moved a step
// in one batched range query. A batched request that fails is asked again
// signal by signal for that round; a signal whose own query failed while
// others answered broke the batch, is said to have, and is asked alone
// until its own query answers again. A batch that fails while every signal
// answers alone (a backend that cannot carry it, an answer too large or too
// slow only together) is not tried again for 1, 2, 4 … up to maxPause
// rounds, each signal asked alone meanwhile. It never stacks queries: a signal
// whose previous round is still running is skipped, keeping its last
// sample, which then ages and eventually goes stale, rather than piling
// more load onto a Prometheus that is already slow.
type Sampler struct {
	api     v1.API
	signals map[string]*config.Signal
	fresh   map[string]freshness // parsed once: each signal's data-time query
	// exporters are the liveness queries of first_event signals, parsed once.
	exporters map[string]*exporterPlan
	// batch is each signal's parts of the batched requests; nil for a
	// signal whose queries the batch cannot carry (asked alone).
	batch map[string]*batchPlan
	names []string
	o     SamplerOptions
	slots chan struct{}

	mu        sync.Mutex
	seq       uint64
	samples   map[string]Sample
	inFlight  map[string]bool
	lastRange map[string]time.Time
	lastSlow  map[string]time.Time // the volume and exporter last asked
	// alone are the signals that broke a batch, asked alone until their
	// own queries answer.
	alone map[string]bool
	// pause is how many rounds the batch rests after failing with every
	// signal answering alone (doubling, at most maxPause); paused how many
	// of them are left.
	pause, paused int
}

// maxPause bounds the rounds a batch that fails while every signal answers
// alone rests before it is tried again.
const maxPause = 64

// NewSampler prepares a sampler for signals; it queries nothing until Tick.
func NewSampler(api v1.API, signals map[string]*config.Signal, o SamplerOptions) *Sampler {
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 5 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Step <= 0 && o.Window > 0 {
		o.Step = max(o.Window/60, time.Second)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Sampler{
		api:       api,
		signals:   signals,
		fresh:     make(map[string]freshness, len(signals)),
		exporters: make(map[string]*exporterPlan),
		batch:     make(map[string]*batchPlan, len(signals)),
		names:     slices.Sorted(maps.Keys(signals)),
		o:         o,
		slots:     make(chan struct{}, o.Concurrency),
		samples:   make(map[string]Sample, len(signals)),
		inFlight:  make(map[string]bool, len(signals)),
		lastRange: make(map[string]time.Time, len(signals)),
		lastSlow:  make(map[string]time.Time, len(signals)),
		alone:     map[string]bool{},
	}
	p := parser.NewParser(parser.Options{})
	shared := map[string]part{}
	for _, name := range s.names {
		sig := signals[name]
		s.fresh[name] = planFreshness(p, sig.Query, sig.VolumeQuery)
		if plan := planExporter(p, sig.FirstEvent); plan != nil {
			s.exporters[name] = plan
		}
		s.batch[name] = planBatch(p, sig, s.fresh[name], s.exporters[name], shared)
		s.samples[name] = Sample{Signal: name, Query: sig.Query, Window: s.fresh[name].window}
	}
	return s
}

// job is one signal's share of a round: what is due, and what its
// queries answered.
type job struct {
	name                string
	prev                Sample
	needRange, needSlow bool
	// alone: asked in requests of its own, not in the batch.
	alone bool
	inst  asked
	// history and histErr are the window's answer, when needRange.
	history []Point
	histErr error
	// broke: its own query failed where the batch that carried it did.
	broke bool
}

// Tick runs one round for every signal not already in flight and returns
// every signal's latest sample once this round's queries are done. Ticks
// may overlap (a UI fires one per refresh); each gets its own Seq.
func (s *Sampler) Tick(ctx context.Context) Snapshot {
	at := s.o.Now()
	s.mu.Lock()
	s.seq++
	seq := s.seq
	resting := s.paused > 0
	if resting {
		s.paused--
	}
	jobs := s.claim(at, resting)
	s.mu.Unlock()

	fallback, unusable := s.round(ctx, jobs, at)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range jobs {
		s.store(j, at)
	}
	switch {
	case resting:
		fallback = fmt.Sprintf("each signal asked alone: the batched request, which failed while each answered alone, is tried again in %d round(s)", s.paused+1)
	case unusable:
		s.pause = min(max(2*s.pause, 1), maxPause)
		s.paused = s.pause
		fallback += fmt.Sprintf(": it rests %d round(s)", s.pause)
	case fallback == "":
		s.pause = 0
	}
	snap := Snapshot{Seq: seq, At: at, Samples: make(map[string]Sample, len(s.samples)), Fallback: fallback}
	maps.Copy(snap.Samples, s.samples)
	return snap
}

// claim marks every signal not in flight as in flight and says what its
// round asks. The window's range query only when it has moved a step (an
// absent series answers empty: asked again a step later, not every tick);
// the volume and exporter once per fifth of stale_after. While the batch rests,
// every signal is asked alone. Called with s.mu held.
func (s *Sampler) claim(at time.Time, resting bool) []*job {
	var jobs []*job
	for _, name := range s.names {
		if s.inFlight[name] {
			continue
		}
		s.inFlight[name] = true
		jobs = append(jobs, &job{
			name:      name,
			prev:      s.samples[name],
			needRange: s.o.Window > 0 && at.Sub(s.lastRange[name]) >= s.o.Step,
			needSlow:  s.lastSlow[name].IsZero() || at.Sub(s.lastSlow[name]) >= s.slowEvery(name),
			alone:     resting || s.batch[name] == nil || s.alone[name],
		})
	}
	return jobs
}

// store folds a job's answers into its signal's next sample. Called with
// s.mu held.
func (s *Sampler) store(j *job, at time.Time) {
	a := j.inst
	a.askRange, a.history, a.histErr = j.needRange, j.history, j.histErr
	next, rangeOK, slowOK := s.fold(s.signals[j.name], s.fresh[j.name], j.prev, at, &a)
	switch {
	case j.broke:
		next.Warnings = append(next.Warnings, "its query broke the round's batched request: asked alone until it answers")
		s.alone[j.name] = true
	case j.alone && !a.failed():
		delete(s.alone, j.name)
	}
	s.samples[j.name] = next
	s.inFlight[j.name] = false
	if rangeOK {
		s.lastRange[j.name] = at
	}
	if slowOK {
		s.lastSlow[j.name] = at
	}
}

// round asks what jobs need: the batched signals in one instant and one
// range request, the others alone, all at once; then, if a batched request
// failed, its signals alone. It returns what the fallback found ("" when
// none was needed), and whether the batch failed while each signal
// answered alone.
func (s *Sampler) round(ctx context.Context, jobs []*job, at time.Time) (fallback string, unusable bool) {
	var (
		wg                sync.WaitGroup
		batched           []*job
		instErr, rangeErr error
	)
	for _, j := range jobs {
		if j.alone {
			s.askEachAlone(&wg, ctx, j, at, true, true)
			continue
		}
		batched = append(batched, j)
	}
	wg.Go(func() { instErr = s.askBatch(ctx, batched, at) })
	wg.Go(func() { rangeErr = s.askRangeBatch(ctx, batched, at) })
	wg.Wait()
	if instErr == nil && rangeErr == nil {
		return "", false
	}
	for _, j := range batched {
		s.askEachAlone(&wg, ctx, j, at, instErr != nil, rangeErr != nil)
	}
	wg.Wait()
	return blame(batched, instErr, rangeErr)
}

// askEachAlone starts, on wg, j's instant queries (when inst) and its
// window (when window and due), each in a request of its own.
func (s *Sampler) askEachAlone(wg *sync.WaitGroup, ctx context.Context, j *job, at time.Time, inst, window bool) {
	sig := s.signals[j.name]
	if inst {
		wg.Go(func() { j.inst = s.askAlone(ctx, sig, s.fresh[j.name], at, j.needSlow) })
	}
	if window && j.needRange {
		wg.Go(func() { j.history, j.histErr = s.history(ctx, sig.Query, sig.Direction, at) })
	}
}

// blame says which signals broke the batched requests that failed (the
// instant one with instErr, the range one with rangeErr), now that each
// was asked alone: those whose own requests failed while others' answered.
// When every one failed alone too, Prometheus itself failed, and none is
// blamed; when each answered, the batch itself is unusable.
func blame(jobs []*job, instErr, rangeErr error) (msg string, unusable bool) {
	var broke []string
	for _, j := range jobs {
		if (instErr != nil && j.inst.failed()) || (rangeErr != nil && j.histErr != nil) {
			broke = append(broke, j.name)
		}
	}
	msg = fmt.Sprintf("the batched request failed (%v); each signal was asked alone", cmp.Or(instErr, rangeErr))
	switch {
	case len(broke) == 0:
		return msg + ", and each answered", true
	case len(broke) == len(jobs):
		return msg + ", and each failed alone too", false
	}
	for _, j := range jobs {
		j.broke = slices.Contains(broke, j.name)
	}
	return msg + "; broken by " + strings.Join(broke, ", "), false
}

// slowEvery is how often a signal's volume and exporter liveness are
// asked for: a fifth of its stale_after.
func (s *Sampler) slowEvery(name string) time.Duration {
	stale := s.o.StaleAfter
	if sig := s.signals[name]; sig != nil && sig.StaleAfter > 0 {
		stale = sig.StaleAfter.D()
	}
	return stale / 5
}

// acquire takes a query slot, or gives up when ctx ends.
func (s *Sampler) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sampler) release() { <-s.slots }
