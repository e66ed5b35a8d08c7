package lock

import (
	"context"
	"path/filepath"
	"time"
)

// Policy is how one process locks an environment: the lock file under
// its state directory, then the advisory lock in the environment's database
// when it has one, and "a rollback always wins" (Env). It is the one place
// that decides which lock a step gets: a rollback the one that a full state
// disk or a database outage cannot block, every other step the one that
// refuses instead.
type Policy struct {
	StateDir string
	Env      string
	// DBURL is the environment's database; "" locks with the file alone.
	DBURL string
	// Timeout bounds how long a forward step waits for the database.
	Timeout time.Duration
	// Bounds: DefaultBounds when zero.
	Bounds Bounds
	// Note receives what a rollback did about a holder (a preemption, a
	// session ended, a lock bypassed), for the journal and the operator.
	Note func(h Holder, msg string)
}

// For is the environment's lock for a rollback (rollback true) or for any
// other step.
func (p Policy) For(rollback bool) *Env {
	file := FileLock(filepath.Join(p.StateDir, p.Env+".lock"))
	file.BestEffortHolder = rollback // a full state disk never blocks a rollback
	l := &Env{File: file, Timeout: p.Timeout, Rollback: rollback, Bounds: p.Bounds, Note: p.Note}
	if l.Bounds == (Bounds{}) {
		l.Bounds = DefaultBounds
	}
	if p.DBURL != "" {
		l.DB = PostgresLock(p.DBURL, EnvKey(p.Env))
	}
	return l
}

// Locker is the lock of a process that may run any step (the screen): each
// acquisition picks For(rollback) by the holder's step.
func (p Policy) Locker() Locker {
	return byStep{forward: p.For(false), rollback: p.For(true)}
}

// byStep gives a rollback its lock and every other step the forward one.
type byStep struct{ forward, rollback Locker }

func (l byStep) Acquire(ctx context.Context, h Holder) (*Lease, error) {
	if h.isRollback() {
		return l.rollback.Acquire(ctx, h)
	}
	return l.forward.Acquire(ctx, h)
}
