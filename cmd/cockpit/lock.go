package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// envLocker is the lock the issue asks for: a PostgreSQL advisory lock when
// the environment has a database (it guards the environment across every
// operator's machine), else a lock file in the state dir. A rollback whose
// database cannot be reached falls back to the file lock, with a journaled
// note, because a DB outage must never block a rollback; a forward step
// refuses instead (the executor reports it, exit 5).
func envLocker(stateDir string, eng *runbook.Engine, j *journal.Journal, rollback bool) lock.Locker {
	env := eng.Env()
	file := lock.FileLock(filepath.Join(stateDir, env.Name+".lock"))
	dbURL := eng.DatabaseURL()
	if dbURL == "" {
		return file
	}
	l := &dbLock{db: lock.PostgresLock(dbURL, lock.EnvKey(env.Name)), journal: j}
	if rollback {
		l.fallback = file
	}
	return l
}

// dbLock is the advisory lock with the rollback's file-lock fallback.
type dbLock struct {
	db       lock.Locker
	fallback lock.Locker // nil: an unreachable database refuses the action
	journal  *journal.Journal
}

func (l *dbLock) Acquire(ctx context.Context, h lock.Holder) (func() error, error) {
	release, err := l.db.Acquire(ctx, h)
	var busy *lock.BusyError
	switch {
	case err == nil:
		return release, nil
	case errors.As(err, &busy):
		return nil, err // someone holds it: name them, never work around them
	case l.fallback == nil:
		return nil, fmt.Errorf("the advisory lock's database is unreachable, so %s cannot run: %w", h.Step, err)
	}
	note := fmt.Sprintf("advisory lock unavailable (%v): rolling back under the file lock on this machine only", err)
	if jerr := l.journal.Append(journal.Record{Kind: journal.KindProgress, Step: h.Step, Check: "lock",
		Operator: h.Operator, Message: note}); jerr != nil {
		return nil, fmt.Errorf("journaling the lock fallback: %w", jerr)
	}
	return l.fallback.Acquire(ctx, h)
}
