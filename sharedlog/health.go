package sharedlog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/safetext"
)

// healthRecheck caps how long a cockpit waits between two checks of a
// schema or grants that did not let it publish or follow: the owner may
// migrate or grant at any time, and the cockpit then starts on its own.
const healthRecheck = 30 * time.Second

// health is whether a process's shared timeline does its job (publishing,
// or following), for the screen's header, the log and the process's last
// words. Nothing shared is silent: each change of the reason is logged
// once, not at every retry.
type health struct {
	// what is the job's failure ("not published" or "not followed").
	what   string
	access Access
	logger *slog.Logger

	mu  sync.Mutex
	err error
	// failed is closed at the first check that fails.
	failed     chan struct{}
	failedOnce sync.Once
}

func newHealth(access Access, logger *slog.Logger) *health {
	what := "not followed"
	if access == Publish {
		what = "not published"
	}
	return &health{what: what, access: access, logger: logger, failed: make(chan struct{})}
}

// awaitAccess returns once the schema is this cockpit's and the role holds
// the grants its job needs, checking again on a backoff meanwhile; it
// fails only when ctx ends. It never migrates: that is the owner's verb,
// `cockpit timeline migrate`.
func (h *health) awaitAccess(ctx context.Context, pool *pgxpool.Pool) error {
	b := backoff.NewExponentialBackOff()
	b.MaxInterval = healthRecheck
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := CheckAccess(ctx, pool, h.access)
		if ctx.Err() == nil {
			h.report(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0))
	return err
}

// watch reports the job's own error (the publisher's or the subscriber's)
// every second until ctx ends.
func (h *health) watch(ctx context.Context, current func() error) {
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
func (h *health) report(err error) {
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
		h.logger.Warn("timeline: "+h.what+": "+Reason(err), "err", now)
	default:
		h.logger.Info("timeline: working again")
	}
}

// problem is why the job is not done, in a few words ("not published:
// permission denied"), or "" while it works (or has not been tried).
func (h *health) problem() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return ""
	}
	return h.what + ": " + Reason(h.err)
}

// lastErr is the last check's error in full, "" when it passed.
func (h *health) lastErr() string {
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
