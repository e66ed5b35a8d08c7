package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// preemptWait is how long a rollback waits for a preempted forward step to
// stop at its next safe point and free the lock.
const preemptWait = 30 * time.Second

// envLocker is the environment's lock. Every action takes the lock file on
// this machine first, then, when the environment has a database, the
// PostgreSQL advisory lock that guards it across every operator's machine,
// within lock_timeout. A forward step refuses when the database cannot be
// reached; a rollback goes on under the lock file alone (journaled), so a
// database outage never blocks it, and the lock file still excludes a
// forward step on this machine. A rollback that finds a forward step
// holding either lock preempts it (see acquireRollback).
func envLocker(cfg lockConfig, eng *runbook.Engine, j *journal.Journal, rollback bool) lock.Locker {
	env := eng.Env()
	file := lock.FileLock(filepath.Join(cfg.stateDir, env.Name+".lock"))
	file.BestEffortHolder = rollback // a full state disk never blocks a rollback
	l := &envLock{file: file, journal: j, timeout: cfg.timeout, rollback: rollback}
	if url := eng.DatabaseURL(); url != "" {
		l.db = lock.PostgresLock(url, lock.EnvKey(env.Name))
	}
	return l
}

// lockConfig is what envLocker needs from the config.
type lockConfig struct {
	stateDir string
	timeout  time.Duration
}

type envLock struct {
	file     *lock.File
	db       *lock.Postgres // nil: no database configured
	journal  *journal.Journal
	timeout  time.Duration
	rollback bool
}

func (l *envLock) Acquire(ctx context.Context, h lock.Holder) (*lock.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not taking the lock: %w", context.Cause(ctx))
	}
	file, err := l.take(ctx, l.file, h)
	if err != nil {
		return nil, err
	}
	if l.db == nil {
		return file, nil
	}
	dctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	db, err := l.take(dctx, l.db, h)
	var busy *lock.BusyError
	switch {
	case err == nil:
		return lock.NewLease(func() error { return errors.Join(db.Release(), file.Release()) }, db.Lost()), nil
	case ctx.Err() != nil:
		// Cancelled (a second signal): abort, never fall back.
		_ = file.Release()
		return nil, fmt.Errorf("taking the advisory lock: %w", context.Cause(ctx))
	case errors.As(err, &busy) || !l.rollback:
		_ = file.Release()
		if busy == nil {
			err = fmt.Errorf("the advisory lock's database is unreachable within %s, so %s cannot run: %w", l.timeout, h.Step, err)
		}
		return nil, err
	}
	l.note(h, fmt.Sprintf("advisory lock unavailable within %s (%v): rolling back under the file lock on this machine only", l.timeout, err))
	return file, nil
}

// take acquires one lock; a rollback that finds a forward step holding it
// preempts that step.
func (l *envLock) take(ctx context.Context, locker interface {
	lock.Locker
	lock.Preempter
}, h lock.Holder) (*lock.Lease, error) {
	lease, err := locker.Acquire(ctx, h)
	var busy *lock.BusyError
	if err == nil || !l.rollback || !errors.As(err, &busy) || !forward(busy.Holder.Step) {
		return lease, err
	}
	return l.acquireRollback(ctx, locker, h, busy)
}

// acquireRollback takes the lock over from a forward step: a rollback
// always wins. The holder is asked to stop (its process signalled, or its
// database session ended); it stops at its next safe point, journals its
// outcome and frees the lock, which the rollback then takes.
func (l *envLock) acquireRollback(ctx context.Context, locker interface {
	lock.Locker
	lock.Preempter
}, h lock.Holder, busy *lock.BusyError) (*lock.Lease, error) {
	if err := locker.Preempt(ctx, busy); err != nil {
		return nil, fmt.Errorf("%w; preempting it failed: %v", busy, err)
	}
	l.note(h, fmt.Sprintf("preempting %s (%v): the rollback takes the lock over", busy.Holder.Step, busy))
	wait, cancel := context.WithTimeout(ctx, preemptWait)
	defer cancel()
	for {
		lease, err := locker.Acquire(wait, h)
		var again *lock.BusyError
		switch {
		case err == nil:
			l.note(h, fmt.Sprintf("took the lock over from %s@%s pid %d (%s)", busy.Holder.Operator, busy.Holder.Host, busy.Holder.PID, busy.Holder.Step))
			return lease, nil
		case !errors.As(err, &again):
			return nil, err
		}
		select {
		case <-wait.Done():
			return nil, fmt.Errorf("%w: it did not stop within %s of being preempted", again, preemptWait)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// forward says whether a lock holder runs a step a rollback may preempt:
// anything but another rollback.
func forward(step string) bool {
	return step != "" && !strings.EqualFold(step, runbook.RollbackID)
}

func (l *envLock) note(h lock.Holder, msg string) {
	_ = l.journal.Append(journal.Record{Kind: journal.KindProgress, Step: h.Step, Check: "lock", Operator: h.Operator, Message: msg})
}
