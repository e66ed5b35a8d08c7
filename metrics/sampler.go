package metrics

import (
	"context"
	"maps"
	"slices"
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
	// own stale_after wins). A signal's data time and request volume are
	// asked for once per fifth of it, not every tick: between two asks the
	// data's age only grows, so staleness is never missed, at most seen a
	// fifth early; the volume is an increase over minutes. 0 asks every
	// tick.
	StaleAfter time.Duration
}

// Sampler polls Prometheus for every signal. It never stacks queries: a
// signal whose previous query is still running is skipped, keeping its last
// sample, which then ages and eventually goes stale, rather than piling more
// load onto a Prometheus that is already slow.
type Sampler struct {
	api     v1.API
	signals map[string]*config.Signal
	fresh   map[string]freshness // parsed once: each signal's data-time query
	// exporters are the liveness queries of first_event signals, parsed once.
	exporters map[string]*exporterPlan
	names     []string
	o         SamplerOptions
	slots     chan struct{}

	mu        sync.Mutex
	seq       uint64
	samples   map[string]Sample
	inFlight  map[string]bool
	lastRange map[string]time.Time
	lastSlow  map[string]time.Time // the data time and volume last asked
}

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
		names:     slices.Sorted(maps.Keys(signals)),
		o:         o,
		slots:     make(chan struct{}, o.Concurrency),
		samples:   make(map[string]Sample, len(signals)),
		inFlight:  make(map[string]bool, len(signals)),
		lastRange: make(map[string]time.Time, len(signals)),
		lastSlow:  make(map[string]time.Time, len(signals)),
	}
	p := parser.NewParser(parser.Options{})
	for name, sig := range signals {
		s.fresh[name] = planFreshness(p, sig.Query, sig.VolumeQuery)
		if plan := planExporter(p, sig.FirstEvent); plan != nil {
			s.exporters[name] = plan
		}
		s.samples[name] = Sample{Signal: name, Query: sig.Query, Window: s.fresh[name].window}
	}
	return s
}

// Tick queries every signal not already in flight, concurrently, and
// returns every signal's latest sample once this tick's queries are done.
// Ticks may overlap (a UI fires one per refresh); each gets its own Seq.
func (s *Sampler) Tick(ctx context.Context) Snapshot {
	at := s.o.Now()
	var wg sync.WaitGroup
	s.mu.Lock()
	s.seq++
	seq := s.seq
	for _, name := range s.names {
		if s.inFlight[name] {
			continue
		}
		s.inFlight[name] = true
		prev := s.samples[name]
		// The window's range query only when it has moved a step (an
		// absent series answers empty: asked again a step later, not
		// every tick); the data time once per fifth of stale_after.
		needRange := s.o.Window > 0 && at.Sub(s.lastRange[name]) >= s.o.Step
		needSlow := s.lastSlow[name].IsZero() || at.Sub(s.lastSlow[name]) >= s.slowEvery(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			next, rangeOK, slowOK := s.sample(ctx, s.signals[name], s.fresh[name], prev, at, needRange, needSlow)
			s.mu.Lock()
			defer s.mu.Unlock()
			s.samples[name] = next
			s.inFlight[name] = false
			if rangeOK {
				s.lastRange[name] = at
			}
			if slowOK {
				s.lastSlow[name] = at
			}
		}()
	}
	s.mu.Unlock()
	wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Seq: seq, At: at, Samples: make(map[string]Sample, len(s.samples))}
	maps.Copy(snap.Samples, s.samples)
	return snap
}

// slowEvery is how often a signal's data time and volume are asked for: a
// fifth of its stale_after.
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
