package sharedlog

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"github.com/openagents/cockpit/journal"
)

const (
	// channelJournal is the NOTIFY channel of cockpit_journal's trigger;
	// the payload is the environment.
	channelJournal = "cockpit_journal"
	// readTimeout bounds one read of the timeline, and one connect.
	readTimeout = 5 * time.Second
	// reconnectDelay is how long a dropped LISTEN waits to come back.
	reconnectDelay = time.Second
	// fallbackInterval is how often a subscriber reads without being
	// notified, in case a notification was lost with its connection.
	fallbackInterval = 5 * time.Second
)

// Subscriber follows one environment's shared timeline: it reads what is
// there when it starts, then whatever another cockpit publishes, woken by
// NOTIFY (and every few seconds without it), and delivers it in order.
type Subscriber struct {
	pool     *pgxpool.Pool
	env      string
	trust    Trust
	fallback time.Duration
	timeout  time.Duration // bounds one page read (readTimeout)

	wake chan struct{}
	// after is the last seq read, limit how many rows the next read asks
	// for; owned by Run.
	after int64
	limit int
	// ownJournal is this machine's journal, whose records it already has:
	// those are not delivered ("" delivers every record).
	ownJournal string

	mu  sync.Mutex
	err error
}

// NewSubscriber prepares to follow env through pool, judging each record
// by trust (what is not verified is delivered marked so); Run does the work.
func NewSubscriber(pool *pgxpool.Pool, env string, trust Trust) *Subscriber {
	return &Subscriber{pool: pool, env: env, trust: trust, fallback: fallbackInterval, wake: make(chan struct{}, 1),
		limit: pageSize, timeout: readTimeout}
}

// SkipJournal leaves out the records published from the journal at path
// (this machine's own, which it reads from the file). Call before Run.
func (s *Subscriber) SkipJournal(path string) { s.ownJournal = path }

// Err is why the last read or LISTEN failed; nil once a read succeeds.
func (s *Subscriber) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Run delivers the timeline until ctx is done: first everything already
// there, then each new batch, cleaned and in order, never a record twice.
// deliver runs on Run's goroutine; a slow deliver delays the next read,
// never loses one. The database going away is not fatal: Run listens
// again, and reads what it missed.
func (s *Subscriber) Run(ctx context.Context, deliver func([]journal.Record)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &pgxlisten.Listener{
		Connect:        s.connect,
		LogError:       func(ctx context.Context, err error) { s.setErr(ctx, err) },
		ReconnectDelay: reconnectDelay,
	}
	l.Handle(channelJournal, wakeHandler{s})
	var wg sync.WaitGroup
	wg.Go(func() { _ = l.Listen(ctx) })
	defer wg.Wait()

	tick := time.NewTicker(s.fallback)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
		s.catchUp(ctx, deliver)
	}
}

// catchUp reads and delivers everything after the last seq read.
func (s *Subscriber) catchUp(ctx context.Context, deliver func([]journal.Record)) {
	skip := ""
	if s.ownJournal != "" {
		// Read every time: a replaced journal gets a new origin. None yet
		// (nothing published from it) skips nothing.
		skip, _ = readOrigin(originPath(s.ownJournal))
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		recs, last, more, err := readPage(rctx, s.pool, s.env, s.after, skip, s.limit, s.trust)
		cancel()
		s.setErr(ctx, err)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) || s.limit == 1 || ctx.Err() != nil {
				return
			}
			s.limit /= 2 // a page of huge rows takes too long: ask for fewer, now
			continue
		}
		s.limit = min(s.limit*2, pageSize)
		s.after = last
		if len(recs) > 0 {
			deliver(recs)
		}
		if !more {
			return
		}
	}
}

// connect opens the LISTEN connection, outside the pool: it is held for
// as long as Run runs.
func (s *Subscriber) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
}

func (s *Subscriber) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// setErr records err; an error from shutting down is not one.
func (s *Subscriber) setErr(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// wakeHandler turns notifications into reads: on every (re)connect, once
// LISTEN is in place (so nothing published meanwhile is missed), and on
// each notification for the subscriber's environment.
type wakeHandler struct{ s *Subscriber }

func (h wakeHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	if n.Payload == h.s.env {
		h.s.poke()
	}
	return nil
}

func (h wakeHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.s.poke()
	return nil
}
