package sharedlog

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/journal"
)

// sharedFlushTimeout bounds how long a closing process waits for its last
// records to reach the shared timeline; what is left is published by the
// next process on this machine (the journal is the outbox).
const sharedFlushTimeout = 2 * time.Second

// roundTimeout bounds publishing one observation round.
const roundTimeout = 3 * time.Second

// SharingOptions are what a publishing process shares, and as whom.
type SharingOptions struct {
	URL, Env, JournalPath string
	// StateDir and Operator find the key the records are signed with.
	StateDir, Operator string
	// MaxSkew is how far ahead of the database's clock a round may be
	// dated: a round from a clock further ahead is refused, not shared.
	MaxSkew time.Duration
	Logger  *slog.Logger
}

// Sharing publishes a process's journal to the environment's database, the
// team's shared timeline, in the background. The local journal is always
// written first; the database being down or slow never blocks an action:
// records wait in the journal and are published, in order and once, when
// it answers again.
type Sharing struct {
	pub    *Publisher
	pool   *pgxpool.Pool
	logger *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	// rounds carries the newest observation round to publish (operate
	// only); a round not yet published is replaced by a newer one.
	rounds chan round
	// health says why nothing is published; ready is closed once the
	// schema and grants let the publisher run.
	health  *health
	ready   chan struct{}
	maxSkew time.Duration
}

// round is one observation round offered to the feed, encoded when it is
// published (never on the observer's path).
type round struct {
	at     time.Time
	encode func() ([]byte, error)
}

// StartSharing starts publishing when o.URL is set; nil (and nothing
// shared) when it is not or cannot be parsed. What it publishes is signed
// with the operator's key under the state dir.
func StartSharing(o SharingOptions) *Sharing {
	if o.URL == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), o.URL) // connects lazily
	if err != nil {
		o.Logger.Warn("shared timeline off: the database URL does not parse", "err", err)
		return nil
	}
	pub, err := NewPublisher(pool, o.Env, o.JournalPath)
	if err != nil {
		pool.Close()
		o.Logger.Warn("shared timeline off", "err", err)
		return nil
	}
	if serr := pub.SignAs(o.StateDir, o.Operator); serr != nil {
		// The timeline still gets the records; nobody believes them.
		o.Logger.Warn("publishing unsigned: the team sees this machine's records as unverified", "err", serr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sharing{pub: pub, pool: pool, logger: o.Logger, cancel: cancel, done: make(chan struct{}),
		rounds: make(chan round, 1), health: newHealth(Publish, o.Logger), ready: make(chan struct{}), maxSkew: o.MaxSkew}
	go func() {
		defer close(s.done)
		// The schema and this role's grants first, checked (never migrated:
		// that is the owner's `cockpit timeline migrate`) until they serve;
		// then publish from the journal's start.
		if s.health.awaitAccess(ctx, pool) != nil {
			return
		}
		close(s.ready)
		go s.health.watch(ctx, func() error { return pub.Status().Err })
		go s.publishRounds(ctx)
		pub.Run(ctx)
	}()
	return s
}

// Offer offers an observation round, observed at at, to the shared feed
// without waiting: a round still unpublished is replaced by this newer one.
func (s *Sharing) Offer(at time.Time, encode func() ([]byte, error)) {
	if s == nil {
		return
	}
	select {
	case <-s.rounds: // drop the older round
	default:
	}
	select {
	case s.rounds <- round{at: at, encode: encode}:
	default:
	}
}

// publishRounds writes offered rounds to the feed, newest first, until ctx ends.
func (s *Sharing) publishRounds(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.rounds:
			b, err := r.encode()
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, roundTimeout)
				err = s.pub.PublishObservation(pctx, r.at, b, s.maxSkew)
				cancel()
			}
			if err != nil && ctx.Err() == nil {
				s.logger.Warn("publishing the observation round", "err", err)
			}
		}
	}
}

// Problem is why this cockpit publishes nothing ("not published:
// permission denied"), or "" while it publishes (or shares nothing).
func (s *Sharing) Problem() string {
	if s == nil {
		return ""
	}
	if !s.running() {
		return s.health.problem()
	}
	return s.pub.Status().Problem()
}

// running is whether the publisher runs (the schema and grants served).
func (s *Sharing) running() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// settle waits, within ctx, until the publisher runs (true), or the first
// check of the schema and grants failed, or ctx ends (false): a closing
// process flushes what it can without waiting on what cannot be.
func (s *Sharing) settle(ctx context.Context) bool {
	select {
	case <-s.ready:
		return true
	case <-s.health.failed:
		return s.running()
	case <-ctx.Done():
		return s.running()
	}
}

// sayUnpublished is a closing process's last word on what it could not
// publish: a `run` whose records never reached the team says so on its
// way out (they wait in this machine's journal for the next cockpit).
func (s *Sharing) sayUnpublished() {
	p := s.Problem()
	if p == "" {
		return
	}
	why := s.health.lastErr()
	if s.running() {
		why = s.pub.Status().String()
	}
	s.logger.Warn("timeline: "+p+": records wait in this machine's journal until a cockpit here can publish them", "err", why)
}

// Close publishes what is queued, for at most sharedFlushTimeout, and stops.
func (s *Sharing) Close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedFlushTimeout)
	if s.settle(ctx) {
		_ = s.pub.Flush(ctx)
	}
	cancel()
	s.sayUnpublished()
	s.cancel()
	<-s.done
	s.pool.Close()
}

// Following feeds other machines' records from the shared timeline into
// this process (its engine's history and its screen's timeline), woken by
// NOTIFY: an operator on another laptop is seen starting S1 within a
// refresh. This machine's own journal is read from its file, not twice.
type Following struct {
	pool   *pgxpool.Pool
	cancel context.CancelFunc
	done   chan struct{}
	// health says why nothing is followed.
	health *health
}

// StartFollowing follows env's shared timeline at url, handing each batch
// of other machines' records to deliver; nil when url is "" or does not
// parse (said in the log).
func StartFollowing(trust Trust, url, env, journalPath string, deliver func([]journal.Record), logger *slog.Logger) *Following {
	if url == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		logger.Warn("not following the shared timeline: the database URL does not parse", "err", err)
		return nil
	}
	sub := NewSubscriber(pool, env, trust)
	sub.SkipJournal(journalPath)
	ctx, cancel := context.WithCancel(context.Background())
	f := &Following{pool: pool, cancel: cancel, done: make(chan struct{}), health: newHealth(Follow, logger)}
	go func() {
		defer close(f.done)
		if f.health.awaitAccess(ctx, pool) != nil { // the schema and grants first, never migrating
			return
		}
		go f.health.watch(ctx, sub.Err)
		sub.Run(ctx, deliver)
	}()
	return f
}

// Pool is the follower's connection pool, which the observation feed is
// read through (watch --follow).
func (f *Following) Pool() *pgxpool.Pool { return f.pool }

// Problem is why this cockpit follows nothing, or "".
func (f *Following) Problem() string {
	if f == nil {
		return ""
	}
	return f.health.problem()
}

// Close stops following and closes the pool.
func (f *Following) Close() {
	if f == nil {
		return
	}
	f.cancel()
	<-f.done
	f.pool.Close()
}
