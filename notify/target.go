package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/openagents/cockpit/internal/redact"
)

// target is one webhook's queue and the goroutine that empties it.
type target struct {
	name      string
	url       string
	secret    secretURL
	format    string
	events    []string
	text      text
	client    *http.Client
	retry     Retry
	onFailure func(string, Event, error)
	logger    *slog.Logger
	size      int
	failures  atomic.Int64
	wake      chan struct{} // one pending wake-up is enough

	mu      sync.Mutex
	queue   []Event
	dropped []Event // pushed out of a full queue, not yet reported
	closed  bool
}

func newTarget(tc Target, size int, opts Options) (*target, error) {
	txt, err := newText(tc.Template)
	if err != nil {
		return nil, fmt.Errorf("notify target %s: template: %w", tc, err)
	}
	// Not a boundedhttp client: it refuses a body announced too large
	// before the status is seen, and a 2xx is a delivery whatever its body.
	// post reads at most maxAnswer of any answer, so memory stays bounded.
	// A webhook answers where it is sent: a redirect is an answer, never a
	// second post of the message somewhere else.
	client := &http.Client{
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		Timeout:       tc.EffectiveTimeout(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &target{
		name: tc.Name, url: tc.URL, secret: newSecretURL(tc.URL), format: tc.Format,
		events: tc.Events, text: txt, client: client, retry: opts.Retry,
		onFailure: opts.OnFailure, logger: opts.Logger.With("target", tc.Name, "url", redact.URL(tc.URL)),
		size: size, wake: make(chan struct{}, 1),
	}, nil
}

// enqueue queues e if the target is subscribed to it, pushing out the
// oldest queued event when full. It never waits on delivery.
func (t *target) enqueue(e Event) {
	if !slices.Contains(t.events, e.Kind) {
		return
	}
	t.mu.Lock()
	switch {
	case t.closed:
		t.failures.Add(1)
	case len(t.queue) >= t.size:
		t.failures.Add(1)
		t.dropped = append(t.dropped, t.queue[0])
		t.queue = append(t.queue[1:], e)
	default:
		t.queue = append(t.queue, e)
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// close lets run return once the queue is empty.
func (t *target) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// run delivers the queue in order until the target is closed and empty.
func (t *target) run(ctx context.Context) {
	for {
		t.mu.Lock()
		dropped := t.dropped
		t.dropped = nil
		next, has := Event{}, len(t.queue) > 0
		if has {
			next = t.queue[0]
			t.queue = t.queue[1:]
		}
		closed := t.closed
		t.mu.Unlock()

		for _, e := range dropped {
			t.report(e, ErrQueueFull)
		}
		switch {
		case has:
			t.deliver(ctx, next)
		case closed:
			return
		default:
			<-t.wake
		}
	}
}

// deliver posts e, retrying as t.retry allows; a final failure is counted
// and reported.
func (t *target) deliver(ctx context.Context, e Event) {
	if ctx.Err() != nil {
		t.fail(e, context.Cause(ctx))
		return
	}
	b, err := body(t.format, t.text, e)
	if err != nil {
		t.fail(e, err)
		return
	}
	attempts := 0
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		return struct{}{}, t.post(ctx, b)
	}, t.retryOptions(e)...)
	if err != nil {
		t.fail(e, fmt.Errorf("posting %s to %s (%d attempt(s)): %w", e.Kind, t.secret.shown, attempts, err))
	}
}

func (t *target) retryOptions(e Event) []backoff.RetryOption {
	return []backoff.RetryOption{
		backoff.WithBackOff(&backoff.ExponentialBackOff{
			InitialInterval:     t.retry.Wait,
			RandomizationFactor: backoff.DefaultRandomizationFactor,
			Multiplier:          backoff.DefaultMultiplier,
			MaxInterval:         backoff.DefaultMaxInterval,
		}),
		backoff.WithMaxTries(uint(t.retry.Attempts)),
		backoff.WithMaxElapsedTime(t.retry.MaxElapsed),
		backoff.WithNotify(func(err error, wait time.Duration) {
			t.logger.Warn("notification not delivered, retrying", "event", e.Kind, "in", wait, "err", err)
		}),
	}
}

func (t *target) fail(e Event, err error) {
	t.failures.Add(1)
	t.report(e, err)
}

func (t *target) report(e Event, err error) {
	t.logger.Error("notification not delivered", "event", e.Kind, "err", err)
	t.onFailure(t.name, e, err)
}
