package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
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
	// failed is closed at the first check that fails.
	failed     chan struct{}
	failedOnce sync.Once
}

func newTimelineHealth(access sharedlog.Access, logger *slog.Logger) *timelineHealth {
	what := "not followed"
	if access == sharedlog.Publish {
		what = "not published"
	}
	return &timelineHealth{what: what, access: access, logger: logger, failed: make(chan struct{})}
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
	if err != nil {
		h.failedOnce.Do(func() { close(h.failed) })
	}
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
	if !s.running() {
		return s.health.problem()
	}
	return s.pub.Status().Problem()
}

// running is whether the publisher runs (the schema and grants served).
func (s *sharing) running() bool {
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
func (s *sharing) settle(ctx context.Context) bool {
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
func (s *sharing) sayUnpublished() {
	p := s.problem()
	if p == "" {
		return
	}
	why := s.health.lastErr()
	if s.running() {
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

// timelineReport is status's word on the shared timeline.
type timelineReport struct {
	// Status is "can publish", "not published: <reason>" (permission
	// denied, schema missing or too old, database unavailable) or "off: …".
	Status string `json:"status"`
	// Detail is the database's answer in full (secrets redacted), or "".
	Detail string `json:"detail,omitempty"`
}

// timelineStatus checks, as a publishing cockpit would when it starts,
// that env's shared timeline has this cockpit's schema and that the
// config's role may publish to it. It writes nothing.
func timelineStatus(ctx context.Context, env *config.Environment) timelineReport {
	url := runbook.SharedTimelineURL(env)
	if url == "" {
		return timelineReport{Status: "off: no shared timeline database configured"}
	}
	err := checkTimeline(ctx, url, sharedlog.Publish)
	if err == nil {
		return timelineReport{Status: "can publish"}
	}
	return timelineReport{Status: "not published: " + sharedlog.Reason(err),
		Detail: safetext.Clean(journal.Redact(err.Error(), url))}
}

// orNothing is prefix+s, or "" when s is empty.
func orNothing(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
