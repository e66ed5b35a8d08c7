package sharedlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/journal"
)

const (
	// insertTimeout bounds each round trip to the database, so a hung
	// server costs a publisher seconds, never an action.
	insertTimeout = 3 * time.Second
	// batchSize is how many records go in one transaction.
	batchSize = 256
	// pollInterval is how often a healthy publisher looks at the journal
	// unkicked (another process may append to it too): one stat when
	// nothing is new.
	pollInterval = time.Second
	// maxRetryInterval caps the backoff while the database is down.
	maxRetryInterval = 30 * time.Second
	// MaxRecordBytes bounds one record in the shared timeline: a larger one
	// is not published, and is skipped when read back.
	MaxRecordBytes = 1 << 20
)

// Publisher copies one environment's local journal into the shared
// timeline. The journal file is its outbox: what is appended there is
// published by Run, in file order, exactly once, however often the
// database goes away or the cockpit restarts. A record's key is the
// journal's origin id and the record's place among the journal's records
// (torn lines are not counted, the same on every read); what is not yet
// published waits in memory, read again from the file after a restart.
type Publisher struct {
	pool *pgxpool.Pool
	env  string
	path string
	tail *journal.Tail

	kick    chan struct{}
	flushes chan chan error
	// sign signs what is published (nil: nothing is signed; see SignAs).
	sign *signers

	// Owned by Run.
	origin  string
	next    int64 // offset of the next record read from the journal
	queue   []queued
	checked bool // asked the database how far it has this origin

	mu     sync.Mutex
	status Status
}

// NewPublisher prepares to publish the journal at journalPath (that of
// env) through pool. It creates the journal's origin id beside the file on
// first use; it does not touch the database.
func NewPublisher(pool *pgxpool.Pool, env, journalPath string) (*Publisher, error) {
	origin, err := loadOrigin(journalPath)
	if err != nil {
		return nil, err
	}
	return &Publisher{
		pool:    pool,
		env:     env,
		path:    journalPath,
		tail:    journal.NewTail(journalPath),
		kick:    make(chan struct{}, 1),
		flushes: make(chan chan error),
		origin:  origin,
	}, nil
}

// SignAs makes the publisher sign every record with its operator's ed25519
// key under stateDir (operator's own created on first use; see signers), so
// readers that list the key in team_keys believe it. Call before Run.
func (p *Publisher) SignAs(stateDir, operator string) error {
	s, err := newSigners(stateDir, operator)
	if err != nil {
		return fmt.Errorf("signing the shared timeline: %w", err)
	}
	p.sign = s
	return nil
}

// Kick wakes Run after an append; it never blocks. While the database is
// down Kick only counts the new records: retries keep their backoff.
func (p *Publisher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Flush asks Run to publish everything appended so far now, backoff or
// not, and returns the outcome (nil when nothing is left queued). It waits
// for Run, so bound ctx.
func (p *Publisher) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case p.flushes <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Status is how far the shared timeline is behind the journal.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Run publishes until ctx is done: at once (catching up from the start of
// the journal), on Kick and Flush, every second, and while the database is
// down on an exponential backoff. Run it once per Publisher.
func (p *Publisher) Run(ctx context.Context) {
	retry := backoff.NewExponentialBackOff()
	retry.InitialInterval = 250 * time.Millisecond
	retry.MaxInterval = maxRetryInterval
	timer := time.NewTimer(0)
	defer timer.Stop()
	failing := false
	for {
		var reply chan error
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.kick:
			if failing {
				p.setStatus(p.readJournal(), true)
				continue
			}
		case reply = <-p.flushes:
		}
		err := p.publish(ctx)
		if reply != nil {
			reply <- err
		}
		failing = err != nil
		if failing {
			timer.Reset(retry.NextBackOff())
		} else {
			retry.Reset()
			timer.Reset(pollInterval)
		}
	}
}

// publish reads what is new in the journal and sends the queue to the
// database.
func (p *Publisher) publish(ctx context.Context) error {
	err := errors.Join(p.readJournal(), p.drain(ctx))
	p.setStatus(err, false)
	return err
}

// readJournal queues the records appended since the last read. Torn or
// corrupt lines are not records and are not published.
func (p *Publisher) readJournal() error {
	recs, restart, err := p.tail.Next()
	if restart {
		origin, rerr := renewOrigin(p.path)
		if rerr != nil {
			return rerr
		}
		p.origin, p.next, p.checked = origin, 0, false
	}
	for _, r := range recs {
		offset := p.next
		p.next++
		line, merr := p.sign.seal(p.env, p.origin, offset, r)
		if merr != nil || len(line) > MaxRecordBytes {
			continue
		}
		p.queue = append(p.queue, queued{origin: p.origin, offset: offset, rec: r, record: line})
	}
	if _, corrupt := errors.AsType[*journal.CorruptError](err); corrupt {
		return nil
	}
	return err
}

// drain inserts the queue in order, one batch at a time, keeping what it
// could not send for the next attempt.
func (p *Publisher) drain(ctx context.Context) error {
	if len(p.queue) == 0 {
		return nil
	}
	if !p.checked {
		if err := p.resume(ctx); err != nil {
			return err
		}
		p.checked = true
	}
	for len(p.queue) > 0 {
		n := min(len(p.queue), batchSize)
		if err := insertBatch(ctx, p.pool, p.env, p.queue[:n]); err != nil {
			return err
		}
		p.queue = p.queue[n:]
		p.setPending()
	}
	p.queue = nil // let the backing array go
	return nil
}

// resume drops what the database already has of this journal, once it
// made sure the journal is the one the database knows under its origin: a
// file replaced while no cockpit ran (its origin file kept) starts its
// offsets at 0 again, and would pass its records off as published. Such a
// file gets a new origin instead.
func (p *Publisher) resume(ctx context.Context) error {
	var first []byte
	if q := p.queue[0]; q.origin == p.origin && q.offset == 0 {
		first = q.record
	}
	upTo, same, err := publishedUpTo(ctx, p.pool, p.env, p.origin, first)
	if err != nil {
		return err
	}
	if same {
		p.skipPublished(upTo)
		return nil
	}
	origin, err := renewOrigin(p.path)
	if err != nil {
		return err
	}
	for i := range p.queue {
		if q := &p.queue[i]; q.origin == p.origin {
			// The signature covers the origin: sign again.
			line, err := p.sign.seal(p.env, origin, q.offset, q.rec)
			if err != nil {
				return err
			}
			q.origin, q.record = origin, line
		}
	}
	p.origin = origin
	return nil
}

// skipPublished drops the queued records of the current origin the
// database already has (a restart reads the journal from its start).
func (p *Publisher) skipPublished(upTo int64) {
	kept := p.queue[:0]
	for _, q := range p.queue {
		if q.origin != p.origin || q.offset > upTo {
			kept = append(kept, q)
		}
	}
	p.queue = kept
}

func (p *Publisher) setPending() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status.Pending = len(p.queue)
}

// setStatus records the queue length and the outcome of an attempt;
// keepErr leaves the last database error standing (a kick while failing
// only read the journal).
func (p *Publisher) setStatus(err error, keepErr bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status.Pending = len(p.queue)
	if keepErr && err == nil {
		return
	}
	if err == nil {
		p.status.Err, p.status.FailingSince = nil, time.Time{}
		return
	}
	if p.status.Err == nil {
		p.status.FailingSince = time.Now()
	}
	p.status.Err = err
}
