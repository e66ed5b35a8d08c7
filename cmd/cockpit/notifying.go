package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/notify"
)

// notifyPoll is how often the journal is read for new records to notify.
const notifyPoll = 250 * time.Millisecond

// notifyCloseTimeout bounds how long a closing process gives queued
// notifications: the longest target timeout, at most this; what is left is
// journaled as not delivered.
const notifyCloseTimeout = 3 * time.Second

// notifying tells the configured webhooks what this process journals:
// the journal is read from its end at start (history is not told again)
// and every new record goes to the notifier, whose queues never block an
// action. A message a target never got is journaled (kind notify).
type notifying struct {
	// failed hears each undelivered message's target too (the cockpit's
	// metrics count them); set once, before messages flow.
	failed atomic.Pointer[func(target string)]
	n      *notify.Notifier
	grace  time.Duration // how long close waits for queued messages
	tail   *journal.Tail
	cancel context.CancelFunc
	done   chan struct{}
}

// startNotifying starts when the config has notify targets; nil otherwise.
func startNotifying(cfg notify.Config, j *journal.Journal, logger *slog.Logger) *notifying {
	if len(cfg.Targets) == 0 {
		return nil
	}
	s := &notifying{}
	n, err := notify.New(cfg, notify.Options{Logger: logger, OnFailure: func(target string, e notify.Event, err error) {
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
		grace = max(grace, cmp.Or(t.Timeout, notify.DefaultTimeout))
	}
	s.n, s.grace, s.tail, s.cancel, s.done = n, min(grace, notifyCloseTimeout), tail, cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(notifyPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.forward()
			}
		}
	}()
	return s
}

// countFailures has f hear each undelivered message's target.
func (s *notifying) countFailures(f func(target string)) {
	if s != nil {
		s.failed.Store(&f)
	}
}

// forward hands the journal's new records to the notifier. A journal
// replaced under it (restart) is read again from its top as history.
func (s *notifying) forward() {
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

// close tells the last records and gives the queues their grace.
func (s *notifying) close() {
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
