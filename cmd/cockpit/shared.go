package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
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
	cancel context.CancelFunc
	done   chan struct{}
}

// startSharing starts publishing when the environment has a database; nil
// (and nothing shared) when it has none or its URL cannot be parsed.
func startSharing(dbURL, env, journalPath string, logger *slog.Logger) *sharing {
	if dbURL == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), dbURL) // connects lazily
	if err != nil {
		logger.Warn("shared timeline off: the database URL does not parse", "err", err)
		return nil
	}
	pub, err := sharedlog.NewPublisher(pool, env, journalPath)
	if err != nil {
		pool.Close()
		logger.Warn("shared timeline off", "err", err)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sharing{pub: pub, pool: pool, cancel: cancel, done: make(chan struct{})}
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
		pub.Run(ctx)
	}()
	return s
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
func startFollowing(dbURL, env, journalPath string, feed *runbook.SharedFeed, logger *slog.Logger) *following {
	if dbURL == "" {
		return nil
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		logger.Warn("not following the shared timeline: the database URL does not parse", "err", err)
		return nil
	}
	sub := sharedlog.NewSubscriber(pool, env)
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
