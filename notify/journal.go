package notify

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/openagents/cockpit/journal"
)

// journalPoll is how often the journal is read for new records to notify.
const journalPoll = 250 * time.Millisecond

// closeTimeout bounds how long a closing process gives queued
// notifications: the longest target timeout, at most this; what is left is
// journaled as not delivered.
const closeTimeout = 3 * time.Second

// Journaled tells the configured webhooks what a process journals: the
// journal is read from its end at start (history is not told again) and
// every new record goes to the notifier, whose queues never block an
// action. A message a target never got is journaled (kind notify).
type Journaled struct {
	// failed hears each undelivered message's target too (the cockpit's
	// metrics count them); set once, before messages flow.
	failed atomic.Pointer[func(target string)]
	n      *Notifier
	grace  time.Duration // how long Close waits for queued messages
	tail   *journal.Tail
	cancel context.CancelFunc
	done   chan struct{}
}

// FromJournal starts telling j's new records when cfg has targets; nil
// otherwise, or when the notifier cannot be built (said in the log).
func FromJournal(cfg Config, j *journal.Journal, logger *slog.Logger) *Journaled {
	if len(cfg.Targets) == 0 {
		return nil
	}
	s := &Journaled{}
	n, err := New(cfg, Options{Logger: logger, OnFailure: func(target string, e Event, err error) {
		_ = j.Append(journal.Record{Kind: journal.KindNotify, Step: e.Step, Check: e.Kind,
			Message: fmt.Sprintf("notification to %s not delivered: %v", target, err)})
		if f := s.failed.Load(); f != nil {
			(*f)(target)
		}
	}})
	if err != nil {
		logger.Warn("notifications off", "err", err)
		return nil
	}
	tail := journal.NewTail(j.Path())
	// What was journaled before this process is not news, but an incident
	// already pending is not new when journaled again: the history primes
	// the notifier record by record, never held whole.
	_, _ = tail.Each(func(r journal.Record) error {
		n.Prime(r)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	grace := time.Duration(0)
	for _, t := range cfg.Targets {
		grace = max(grace, cmp.Or(t.Timeout, DefaultTimeout))
	}
	s.n, s.grace, s.tail, s.cancel, s.done = n, min(grace, closeTimeout), tail, cancel, make(chan struct{})
	go s.poll(ctx)
	return s
}

// poll forwards new records every journalPoll until ctx ends.
func (s *Journaled) poll(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(journalPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.forward()
		}
	}
}

// CountFailures has f hear each undelivered message's target.
func (s *Journaled) CountFailures(f func(target string)) {
	if s != nil {
		s.failed.Store(&f)
	}
}

// forward hands the journal's new records to the notifier. A journal
// replaced under it (restart) is read again from its top as history.
func (s *Journaled) forward() {
	recs, restart, _ := s.tail.Next()
	for _, r := range recs {
		switch {
		case restart:
			s.n.Prime(r)
		case r.Kind != journal.KindNotify:
			s.n.Record(r)
		}
	}
}

// Close tells the last records and gives the queues their grace.
func (s *Journaled) Close() {
	if s == nil {
		return
	}
	s.cancel()
	<-s.done
	s.forward()
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	_ = s.n.Close(ctx)
}
