package lock

import (
	"cmp"
	"context"
	"errors"
	"sync"
)

// Lease is a held lock. Release gives it back (safe to call more than
// once: a second call must not unlock someone else's lock). Lost, when not
// nil, receives once if the lock is lost while held (its database session
// ended, or a rollback asked the holder to stop), so the holder can stop at
// its next safe point. Check is the fence a forward step passes before each
// actuator: it proves, now, that the lock is still held and that no
// rollback has asked for it.
type Lease struct {
	release func() error
	lost    <-chan error
	check   func(ctx context.Context) error
	once    sync.Once
	err     error
	// tookOver names the forward steps this lease was taken from: their
	// actuators may still land a change after they stopped.
	tookOver []Holder
	// abandoned is the holder the lock file still named when this lease
	// took it: a process that ended without releasing it (killed).
	abandoned *Holder
}

// Abandoned is the holder whose process ended while holding the lock,
// found named in the lock file when this lease took it: its release was
// never said, so whoever takes the lock next says it for it.
func (l *Lease) Abandoned() (Holder, bool) {
	if l.abandoned == nil {
		return Holder{}, false
	}
	return *l.abandoned, true
}

// NewLease wraps a release function and a loss signal (nil: the lock
// cannot be lost while held) as a Lease; lockers that combine other locks
// build theirs with it or with Join.
func NewLease(release func() error, lost <-chan error) *Lease {
	return &Lease{release: release, lost: lost}
}

// NewFencedLease is NewLease with the fence its holder passes before each
// actuator (Check): lockers whose lock can be taken over while held build
// theirs with it.
func NewFencedLease(release func() error, lost <-chan error, check func(context.Context) error) *Lease {
	return &Lease{release: release, lost: lost, check: check}
}

// Release gives the lock back; only the first call does anything.
func (l *Lease) Release() error {
	l.once.Do(func() { l.err = l.release() })
	return l.err
}

// Lost receives the reason the lock was lost while held; nil for locks that
// cannot be lost while their process lives.
func (l *Lease) Lost() <-chan error { return l.lost }

// Check proves the lease is still held now (a round trip on the lock's own
// session, not the last ping) and that no rollback asked for it. A lease
// built without a check (NewLease) always passes: it cannot be taken over.
func (l *Lease) Check(ctx context.Context) error {
	if l.check == nil {
		return nil
	}
	return l.check(ctx)
}

// TookOver names the forward steps this lease was taken from (a rollback's
// lease after a preemption): a change one of their actuators started may
// still land, so the rollback watches for it.
func (l *Lease) TookOver() []Holder { return l.tookOver }

// Join is the lease of two locks held together (the file lock, then the
// advisory lock): released in reverse order, lost when either is, checked
// on both. b may be nil.
func Join(a, b *Lease) *Lease {
	if b == nil {
		return a
	}
	lost := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		var err error
		select {
		case err = <-a.Lost():
		case err = <-b.Lost():
		case <-stop:
			return
		}
		lost <- err
	}()
	j := &Lease{lost: lost, tookOver: append(append([]Holder(nil), a.tookOver...), b.tookOver...), abandoned: cmp.Or(a.abandoned, b.abandoned)}
	j.release = func() error {
		close(stop)
		return errors.Join(b.Release(), a.Release())
	}
	j.check = func(ctx context.Context) error {
		if err := a.Check(ctx); err != nil {
			return err
		}
		return b.Check(ctx)
	}
	return j
}
