// Package promstore is the rehearsal world's Prometheus: Prometheus's own
// PromQL engine behind Prometheus's HTTP query API, over an in-memory store
// of XOR-encoded chunks (Prometheus's chunk encoding, see memstore.go) fed
// by scraping the simulated runtimes' /metrics with Prometheus's exposition
// parser. Queries therefore behave as they will in production (staleness
// markers included), and client_golang's api/prometheus/v1 and promtool talk
// to it unchanged.
//
// It does not use Prometheus's tsdb package: through Prometheus's config and
// service-discovery packages that links the AWS, Azure and Google SDKs,
// gRPC and client-go into the operator's binary, for a world that needs
// none of them.
//
// Differences from a Prometheus server, on purpose: targets are static, there
// is no relabelling, rules, remote write or UI; nothing is written to disk;
// only the text exposition formats are scraped (not protobuf, so no native
// histograms); /api/v1/metadata answers an empty object; no stale markers
// are written when Run stops.
package promstore

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// Defaults that keep an idle rehearsal world small and production-like.
const (
	defaultScrapeInterval = time.Second
	defaultLookbackDelta  = 5 * time.Minute // Prometheus's default
	defaultQueryTimeout   = 30 * time.Second
	// defaultMaxSamples is a tenth of Prometheus's 50M: the world must stay
	// well under 150 MB RSS, and no rehearsal query needs more.
	defaultMaxSamples = 5_000_000
	// retention keeps only what a rehearsal can look at, so an idle
	// world's memory stays flat.
	retention = 2 * time.Hour
	// subqueryStep is Prometheus's default evaluation interval, which it
	// uses for subqueries written without a step (`[30m:]`).
	subqueryStep = time.Minute
)

// Target is one /metrics endpoint to scrape.
type Target struct {
	Job      string
	Instance string
	URL      string            // the full /metrics URL
	Labels   map[string]string // extra target labels, added to every sample
}

// Options configures a Store. Zero values pick the defaults noted per field.
type Options struct {
	ScrapeInterval time.Duration // default 1s
	// ScrapeTimeout bounds one scrape; default 9/10 of the interval (at
	// most Prometheus's 10s), so a scrape ends before the next is due. A
	// longer one delays the next round instead of failing the scrape: tests
	// that scrape every 50ms on a busy machine set it.
	ScrapeTimeout time.Duration
	Targets       []Target
	Now           func() time.Time // default time.Now; scrape timestamps and the default query time
	Logger        *slog.Logger     // default: discard
	LookbackDelta time.Duration    // default 5m, as in Prometheus
	QueryTimeout  time.Duration    // default 30s; a request's `timeout` can only shorten it
}

// Store is an embedded Prometheus: in-memory storage, a PromQL engine, a
// scraper and the HTTP API. All methods are safe for concurrent use.
type Store struct {
	mem      *memStore
	engine   *promql.Engine
	parser   parser.Parser
	interval time.Duration
	timeout  time.Duration
	targets  []*scrapeTarget
	now      func() time.Time
	logger   *slog.Logger

	// life is held shared by every scrape round and exclusively by Close,
	// so no scrape round starts or runs on after Close.
	life   sync.RWMutex
	closed bool

	outage  atomic.Bool
	slow    atomic.Int64 // time.Duration
	stopped atomic.Bool
}

// Open creates the storage and the engine. It does not scrape: call Run.
func Open(opts Options) (*Store, error) {
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = defaultScrapeInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LookbackDelta <= 0 {
		opts.LookbackDelta = defaultLookbackDelta
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = defaultQueryTimeout
	}
	targets, err := newScrapeTargets(opts.Targets)
	if err != nil {
		return nil, err
	}

	pql := parser.NewParser(parser.Options{})
	engine := promql.NewEngine(promql.EngineOpts{
		Parser:               pql,
		Logger:               opts.Logger,
		MaxSamples:           defaultMaxSamples,
		Timeout:              opts.QueryTimeout,
		LookbackDelta:        opts.LookbackDelta,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		NoStepSubqueryIntervalFn: func(int64) int64 {
			return subqueryStep.Milliseconds()
		},
	})
	return &Store{
		mem:      newMemStore(),
		engine:   engine,
		parser:   pql,
		interval: opts.ScrapeInterval,
		timeout:  opts.ScrapeTimeout,
		targets:  targets,
		now:      opts.Now,
		logger:   opts.Logger,
	}, nil
}

// Close stops scraping and frees the stored samples; queries after it
// find no series. Cancel Run's context first to stop its ticker promptly.
// It never fails; the error is there for io.Closer.
func (s *Store) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	s.closed = true
	s.mem.clear()
	return nil
}

// SetOutage makes the HTTP API look dead (see Handler) while scraping goes
// on, so data is there again on recovery, as with a Prometheus whose API
// was unreachable but whose scrapes continued.
func (s *Store) SetOutage(down bool) { s.outage.Store(down) }

// SetScrapesStopped stops (or resumes) ingestion: while stopped, no target
// is scraped and nothing is appended, not even up or stale markers, as when
// a Prometheus's scrape loop is wedged; queries still answer, from the
// samples already stored, so the newest sample's timestamp stops advancing.
func (s *Store) SetScrapesStopped(stopped bool) { s.stopped.Store(stopped) }

// SetSlow delays every HTTP response by d (0 turns it off). A client that
// gives up first gets nothing.
func (s *Store) SetSlow(d time.Duration) { s.slow.Store(int64(d)) }
