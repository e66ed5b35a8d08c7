package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/internal/skew"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
	"github.com/openagents/cockpit/tui"
)

// sharedFlushTimeout bounds how long a closing process waits for its last
// records to reach the shared timeline; what is left is published by the
// next process on this machine (the journal is the outbox).
const sharedFlushTimeout = 2 * time.Second

// sharing publishes this process's journal to the environment's database,
// the team's shared timeline, in the background. The local journal is
// always written first; the database being down or slow never blocks an
// action: records wait in the journal and are published, in order and
// once, when it answers again.
type sharing struct {
	pub    *sharedlog.Publisher
	pool   *pgxpool.Pool
	env    string
	logger *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	// rounds carries the newest observation round to publish (operate
	// only); a round not yet published is replaced by a newer one.
	rounds chan runbook.State
	// health says why nothing is published; ready is closed once the
	// schema and grants let the publisher run.
	health *timelineHealth
	ready  chan struct{}
	// maxSkew is how far ahead of the database's clock a round may be
	// dated: a round from a clock further ahead is refused, not shared.
	maxSkew time.Duration
}

// startSharing starts publishing when the environment has a database; nil
// (and nothing shared) when it has none or its URL cannot be parsed. What
// it publishes is signed with the operator's key under the state dir.
func startSharing(cfg *config.Config, dbURL, env, journalPath string, logger *slog.Logger) *sharing {
	if dbURL == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), dbURL) // connects lazily
	if err != nil {
		logger.Warn("shared timeline off: the database URL does not parse", "err", err)
		return nil
	}
	pub, err := sharedlog.NewPublisher(pool, env, journalPath)
	if err == nil {
		if serr := pub.SignAs(cfg.StateDir, cfg.Operator); serr != nil {
			// The timeline still gets the records; nobody believes them.
			logger.Warn("publishing unsigned: the team sees this machine's records as unverified", "err", serr)
		}
	}
	if err != nil {
		pool.Close()
		logger.Warn("shared timeline off", "err", err)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sharing{pub: pub, pool: pool, env: env, logger: logger, cancel: cancel, done: make(chan struct{}),
		rounds: make(chan runbook.State, 1), health: newTimelineHealth(sharedlog.Publish, logger), ready: make(chan struct{}),
		maxSkew: cfg.MaxClockSkew.D()}
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

// observationTimeout bounds publishing one round.
const observationTimeout = 3 * time.Second

// Publish offers an observation round to the shared feed without waiting:
// a round still unpublished is replaced by this newer one.
func (s *sharing) Publish(st runbook.State) {
	if s == nil {
		return
	}
	select {
	case <-s.rounds: // drop the older round
	default:
	}
	select {
	case s.rounds <- st:
	default:
	}
}

// publishRounds writes offered rounds to the feed, newest first, until ctx ends.
func (s *sharing) publishRounds(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case st := <-s.rounds:
			b, err := runbook.EncodeState(st)
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, observationTimeout)
				err = s.pub.PublishObservation(pctx, st.At, b, s.maxSkew)
				cancel()
			}
			if err != nil && ctx.Err() == nil {
				s.logger.Warn("publishing the observation round", "err", err)
			}
		}
	}
}

// publishingObserver hands every round to the screen and to the shared
// observation feed, which watch --follow renders from.
type publishingObserver struct {
	tui.Observer
	share *sharing
}

func (o publishingObserver) Observe(ctx context.Context) runbook.State {
	st := o.Observer.Observe(ctx)
	o.share.Publish(st)
	return st
}

// followObserver is watch --follow's source: the operating cockpit's
// newest round from the shared feed, with its age by the database's clock;
// when the feed is older than stale_after, cannot be read, is refused (a
// row dated in the future, one that breaks the wire's bounds) or is
// unverified (not signed by the key team_keys lists for its operator),
// this process observes on its own and says why, so a forged row never
// hides what is firing.
type followObserver struct {
	own        tui.Observer
	pool       *pgxpool.Pool
	env        string
	staleAfter time.Duration
	// trust is team_keys and max_clock_skew: what a row must pass.
	trust sharedlog.Trust
}

func (o followObserver) Observe(ctx context.Context) runbook.State {
	st, row, err := o.feed(ctx)
	switch {
	case errors.Is(err, sharedlog.ErrRefused), errors.Is(err, sharedlog.ErrUnverified):
		st = o.own.Observe(ctx)
		st.Source = refusal(err) + " · observing on its own"
	case err != nil:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: shared feed unavailable (" + safetext.CleanN(err.Error(), 80) + ")"
	case row.Age > o.staleAfter:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: the shared feed is " + checks.FormatAge(row.Age) + " old"
	default:
		st.At = row.ObservedAt // the time the database judged, whatever the state says
		st.Source = "following the shared feed (" + checks.FormatAge(row.Age) + " old, signed by " + row.Operator + ")"
	}
	return st
}

// refusal says on one short line why the feed was refused or is
// unverified: it leads the runbook's title, where a long line is cut. A
// row from the future is named by its date, in the screen's form.
func refusal(err error) string {
	var future *skew.FutureError
	if errors.As(err, &future) {
		return "feed refused: " + future.At.UTC().Format(time.DateTime) + " is in the future (clock skew?)"
	}
	return safetext.CleanN(err.Error(), 160)
}

// feed reads and decodes the newest round in a third of the round's time:
// a database that accepts and never answers must leave the fallback
// observation time to run. A row that does not decode is refused.
func (o followObserver) feed(ctx context.Context) (runbook.State, sharedlog.Observation, error) {
	feedCtx, cancel := context.WithTimeout(ctx, time.Second)
	if deadline, ok := ctx.Deadline(); ok {
		feedCtx, cancel = context.WithTimeout(ctx, time.Until(deadline)/3)
	}
	row, err := sharedlog.LatestObservation(feedCtx, o.pool, o.env, o.trust)
	cancel()
	if err != nil {
		return runbook.State{}, row, err
	}
	st, err := runbook.DecodeState(row.State)
	if err != nil {
		return runbook.State{}, row, fmt.Errorf("%w: %w", sharedlog.ErrRefused, err)
	}
	return st, row, nil
}

// close publishes what is queued, for at most sharedFlushTimeout, and stops.
func (s *sharing) close() {
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

// following feeds other machines' records from the shared timeline into
// this process (its engine's history and its screen's timeline), woken
// by NOTIFY: an operator on another laptop is seen starting S1 within a
// refresh. This machine's own journal is read from its file, not twice.
type following struct {
	pool   *pgxpool.Pool
	sub    *sharedlog.Subscriber
	cancel context.CancelFunc
	done   chan struct{}
	// health says why nothing is followed.
	health *timelineHealth
}

// startFollowing follows env's shared timeline when it has a database.
func startFollowing(trust sharedlog.Trust, dbURL, env, journalPath string, feed *runbook.SharedFeed, logger *slog.Logger) *following {
	if dbURL == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		logger.Warn("not following the shared timeline: the database URL does not parse", "err", err)
		return nil
	}
	sub := sharedlog.NewSubscriber(pool, env, trust)
	sub.SkipJournal(journalPath)
	ctx, cancel := context.WithCancel(context.Background())
	f := &following{pool: pool, sub: sub, cancel: cancel, done: make(chan struct{}),
		health: newTimelineHealth(sharedlog.Follow, logger)}
	go func() {
		defer close(f.done)
		if f.health.awaitAccess(ctx, pool) != nil { // the schema and grants first, never migrating
			return
		}
		go f.health.watch(ctx, sub.Err)
		sub.Run(ctx, feed.Add)
	}()
	return f
}

func (f *following) close() {
	if f == nil {
		return
	}
	f.cancel()
	<-f.done
	f.pool.Close()
}

// stagingReadTimeout bounds reading the required environment's shared
// timeline when a production command starts.
const stagingReadTimeout = 2 * time.Second

// stagingFeeds are, for a production environment, the records other
// machines published to the timeline of the environment it requires, read
// once when the command starts (bounded by stagingReadTimeout): a
// staging run done on another laptop counts toward production's S4 gate as
// one done here does. A timeline that does not answer counts nothing
// (this machine's staging journal still does), and says so in the log.
func stagingFeeds(cfg *config.Config, env *config.Environment, logger *slog.Logger) map[string]*runbook.SharedFeed {
	name := env.Requires
	other := cfg.Environments[name]
	if !env.Production || other == nil {
		return nil
	}
	url := runbook.SharedTimelineURL(other)
	if url == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stagingReadTimeout)
	recs, err := sharedlog.ReadOthers(ctx, url, name, journal.Path(cfg.StateDir, name), sharedTrust(cfg))
	cancel()
	if err != nil {
		logger.Warn("staging's shared timeline unread: only this machine's staging journal counts for S4", "env", name, "err", err)
		return nil
	}
	feed := &runbook.SharedFeed{}
	feed.Add(recs)
	return map[string]*runbook.SharedFeed{name: feed}
}
