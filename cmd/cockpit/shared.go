package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
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
		rounds: make(chan runbook.State, 1)}
	go func() {
		defer close(s.done)
		// The schema first (a fresh database has none), retried while the
		// database is away; then publish from the journal's start.
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			mctx, mcancel := context.WithTimeout(ctx, 10*time.Second)
			defer mcancel()
			return struct{}{}, sharedlog.Migrate(mctx, dbURL)
		}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(0))
		if err != nil {
			return
		}
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
				err = sharedlog.PublishObservation(pctx, s.pool, s.env, st.At, b)
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
// newest round from the shared feed, with its age; when the feed is older
// than stale_after or cannot be read, this process observes on its own
// and says so.
type followObserver struct {
	own        tui.Observer
	pool       *pgxpool.Pool
	env        string
	staleAfter time.Duration
}

func (o followObserver) Observe(ctx context.Context) runbook.State {
	// The feed gets a third of the round: a database that accepts and never
	// answers must leave the fallback observation time to run.
	feedCtx, cancel := context.WithTimeout(ctx, time.Second)
	if deadline, ok := ctx.Deadline(); ok {
		feedCtx, cancel = context.WithTimeout(ctx, time.Until(deadline)/3)
	}
	b, at, err := sharedlog.LatestObservation(feedCtx, o.pool, o.env)
	cancel()
	var st runbook.State
	if err == nil {
		st, err = runbook.DecodeState(b)
	}
	age := time.Since(at)
	switch {
	case err != nil:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: shared feed unavailable (" + safetext.CleanN(err.Error(), 80) + ")"
	case age > o.staleAfter:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: the shared feed is " + checks.FormatAge(age) + " old"
	default:
		st.Source = "following the shared feed (" + checks.FormatAge(age) + " old)"
	}
	return st
}

// close publishes what is queued, for at most sharedFlushTimeout, and stops.
func (s *sharing) close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedFlushTimeout)
	_ = s.pub.Flush(ctx)
	cancel()
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
	f := &following{pool: pool, sub: sub, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
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
