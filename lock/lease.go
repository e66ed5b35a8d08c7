package lock

import (
	"context"
	"sync"
)

// Lease is a held lock. Release gives it back (safe to call more than
// once: a second call must not unlock someone else's lock). Lost, when not
// nil, receives once if the lock is lost while held (its database session
// ended), so the holder can stop at its next safe point.
type Lease struct {
	release func() error
	lost    <-chan error
	once    sync.Once
	err     error
}

// NewLease wraps a release function and a loss signal (nil: the lock
// cannot be lost while held) as a Lease; lockers that combine other locks
// build theirs with it.
func NewLease(release func() error, lost <-chan error) *Lease {
	return &Lease{release: release, lost: lost}
}

// Release gives the lock back; only the first call does anything.
func (l *Lease) Release() error {
	l.once.Do(func() { l.err = l.release() })
	return l.err
}

// Lost receives the reason the lock was lost while held; nil for locks that
// cannot be lost while their process lives (flock).
func (l *Lease) Lost() <-chan error { return l.lost }

// Preempter can take a lock over from a holder that is running a forward
// step: a rollback always wins. Preempt asks the holder to stop (the holder
// stops at its next safe point and releases); the caller then acquires again.
type Preempter interface {
	Preempt(ctx context.Context, busy *BusyError) error
}
