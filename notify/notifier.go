package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openagents/cockpit/journal"
)

// ErrQueueFull is the failure of an event dropped, unsent, because its
// target's queue was full (the target is slower than the cutover).
var ErrQueueFull = errors.New("dropped: the target's queue was full")

// Options are what a Notifier needs besides its Config.
type Options struct {
	// OnFailure hears of every event a target did not deliver: the last
	// error once its retries are spent, ErrQueueFull, or the close deadline.
	// It runs on that target's goroutine, so calls for different targets
	// may overlap, and while it runs it holds back that target only.
	OnFailure func(target string, e Event, err error)
	// Logger gets each retry and failure; nothing is logged when nil.
	Logger *slog.Logger
	// Now stamps an event that has no time (default time.Now).
	Now func() time.Time
	// Retry bounds each delivery's attempts.
	Retry Retry
}

// Retry bounds how hard a target tries to deliver one event: attempts
// spaced out exponentially (with jitter) from Wait, at most Attempts of
// them, none started once MaxElapsed has passed.
type Retry struct {
	Attempts   int           // default 4
	Wait       time.Duration // before the second attempt; default 500ms
	MaxElapsed time.Duration // default 1m
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnFailure == nil {
		o.OnFailure = func(string, Event, error) {}
	}
	o.Retry.Attempts = cmp.Or(max(o.Retry.Attempts, 0), 4)
	o.Retry.Wait = cmp.Or(max(o.Retry.Wait, 0), 500*time.Millisecond)
	o.Retry.MaxElapsed = cmp.Or(max(o.Retry.MaxElapsed, 0), time.Minute)
	return o
}

// Notifier delivers events to every target subscribed to them, each
// target on its own goroutine, in the order they were notified.
type Notifier struct {
	targets []*target
	mapper  Mapper
	now     func() time.Time
	stop    context.CancelCauseFunc
	running sync.WaitGroup
}

// New validates cfg and starts one goroutine per target; Close stops them.
func New(cfg Config, opts Options) (*Notifier, error) {
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	size := cmp.Or(cfg.QueueSize, DefaultQueueSize)
	ctx, stop := context.WithCancelCause(context.Background())
	n := &Notifier{now: opts.Now, stop: stop}
	for _, tc := range cfg.Targets {
		t, err := newTarget(tc, size, opts)
		if err != nil {
			stop(err)
			return nil, err
		}
		n.targets = append(n.targets, t)
	}
	for _, t := range n.targets {
		n.running.Go(func() { t.run(ctx) })
	}
	return n, nil
}

// Notify queues e for every target subscribed to its kind and returns at
// once, whatever the targets are doing. An event without a time is
// stamped now. After Close, events are counted as failures and dropped.
func (n *Notifier) Notify(e Event) {
	if e.At.IsZero() {
		e.At = n.now()
	}
	for _, t := range n.targets {
		t.enqueue(e)
	}
}

// Record notifies the event r means, if any (see Mapper.FromRecord): feed
// it every record journaled, in order.
func (n *Notifier) Record(r journal.Record) {
	if e, ok := n.mapper.FromRecord(r); ok {
		n.Notify(e)
	}
}

// Prime tells the notifier a record that is history, not news: the mapper
// learns from it (an incident already pending, an action already started)
// and nothing is sent. A process that starts mid-cutover primes with the
// journal so far, so it does not announce again what another one did.
func (n *Notifier) Prime(r journal.Record) { n.mapper.FromRecord(r) }

// Failures counts, per target name, the events it did not deliver.
func (n *Notifier) Failures() map[string]int64 {
	out := make(map[string]int64, len(n.targets))
	for _, t := range n.targets {
		out[t.name] = t.failures.Load()
	}
	return out
}

// Close delivers what is queued until ctx is done; then what is still
// queued or in flight fails (OnFailure hears of each) and Close returns
// ctx's error. Either way every target's goroutine has ended on return.
func (n *Notifier) Close(ctx context.Context) error {
	for _, t := range n.targets {
		t.close()
	}
	drained := make(chan struct{})
	go func() {
		n.running.Wait()
		close(drained)
	}()
	select {
	case <-drained:
		n.stop(nil)
		return nil
	case <-ctx.Done():
	}
	n.stop(fmt.Errorf("not sent before the notifier closed: %w", context.Cause(ctx)))
	<-drained
	return fmt.Errorf("closing notifications: %w", context.Cause(ctx))
}
