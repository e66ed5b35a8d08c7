package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/sharedlog"
)

// timelineRecheck caps how long a cockpit waits between two checks of a
// schema or grants that did not let it publish or follow: the owner may
// migrate or grant at any time, and the cockpit then starts on its own.
const timelineRecheck = 30 * time.Second

// timelineHealth is whether this process's shared timeline does its job
// (publishing, or following), for the screen's header, the log and the
// process's last words. Nothing shared is silent: each change of the
// reason is logged once, not at every retry.
type timelineHealth struct {
	// what is the job's failure ("not published" or "not followed").
	what   string
	access sharedlog.Access
	logger *slog.Logger

	mu  sync.Mutex
	err error
}

func newTimelineHealth(access sharedlog.Access, logger *slog.Logger) *timelineHealth {
	what := "not followed"
	if access == sharedlog.Publish {
		what = "not published"
	}
	return &timelineHealth{what: what, access: access, logger: logger}
}

// awaitAccess returns once the schema is this cockpit's and the role holds
// the grants its job needs, checking again on a backoff meanwhile; it
// fails only when ctx ends. It never migrates: that is the owner's verb,
// `cockpit timeline migrate`.
func (h *timelineHealth) awaitAccess(ctx context.Context, pool *pgxpool.Pool) error {
	b := backoff.NewExponentialBackOff()
	b.MaxInterval = timelineRecheck
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := sharedlog.CheckAccess(ctx, pool, h.access)
		if ctx.Err() == nil {
			h.report(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0))
	return err
}

// watch reports the job's own error (the publisher's or the subscriber's)
// every second until ctx ends.
func (h *timelineHealth) watch(ctx context.Context, current func() error) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.report(current())
		}
	}
}

// report records the latest outcome, logging when the reason changes.
func (h *timelineHealth) report(err error) {
	h.mu.Lock()
	before := detail(h.err)
	h.err = err
	h.mu.Unlock()
	switch now := detail(err); {
	case now == before:
	case err != nil:
		h.logger.Warn("timeline: "+h.what+": "+sharedlog.Reason(err), "err", now)
	default:
		h.logger.Info("timeline: working again")
	}
}

// problem is why the job is not done, in a few words ("not published:
// permission denied"), or "" while it works (or has not been tried).
func (h *timelineHealth) problem() string {
	if h == nil {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return ""
	}
	return h.what + ": " + sharedlog.Reason(h.err)
}

// lastErr is the last check's error in full, "" when it passed.
func (h *timelineHealth) lastErr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return detail(h.err)
}

// detail is err as one screen-safe line ("" for nil).
func detail(err error) string {
	if err == nil {
		return ""
	}
	return safetext.Clean(err.Error())
}

// problem is why this cockpit publishes nothing ("not published:
// permission denied"), or "" while it publishes (or shares nothing).
func (s *sharing) problem() string {
	if s == nil {
		return ""
	}
	if !s.running.Load() {
		return s.health.problem()
	}
	return s.pub.Status().Problem()
}

// sayUnpublished is a closing process's last word on what it could not
// publish: a `run` whose records never reached the team says so on its
// way out (they wait in this machine's journal for the next cockpit).
func (s *sharing) sayUnpublished() {
	p := s.problem()
	if p == "" {
		return
	}
	why := s.health.lastErr()
	if s.running.Load() {
		why = s.pub.Status().String()
	}
	s.logger.Warn("timeline: "+p+": records wait in this machine's journal until a cockpit here can publish them", "err", why)
}

// problem is why this cockpit follows nothing, or "".
func (f *following) problem() string {
	if f == nil {
		return ""
	}
	return f.health.problem()
}

// timelineProblem is what the screen's header says of the shared timeline:
// publishing's problem first, then following's; "" when both work.
func (sc *screen) timelineProblem() string {
	if p := sc.share.problem(); p != "" {
		return p
	}
	return sc.follow.problem()
}
