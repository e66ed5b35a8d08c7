package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// envLocker is the environment's lock (lock.Env: the lock file, then the
// advisory lock when the environment has a database; a rollback always
// wins). What a rollback does about a holder — a preemption, a session
// ended, a lock bypassed — is journaled and said on cfg.say (stderr for the
// command line; the screen shows the journal instead).
func envLocker(cfg lockConfig, eng *runbook.Engine, j *journal.Journal, rollback bool) lock.Locker {
	env := eng.Env()
	say := cfg.say
	if say == nil {
		say = os.Stderr
	}
	file := lock.FileLock(filepath.Join(cfg.stateDir, env.Name+".lock"))
	file.BestEffortHolder = rollback // a full state disk never blocks a rollback
	l := &lock.Env{File: file, Timeout: cfg.timeout,
		Rollback: rollback, Bounds: lock.DefaultBounds,
		Note: func(h lock.Holder, msg string) {
			_ = j.Append(journal.Record{Kind: journal.KindProgress, Step: h.Step, Check: "lock", Operator: h.Operator, Message: msg})
			fmt.Fprintln(say, "cockpit: lock: "+safetext.Clean(msg))
		}}
	if url := eng.DatabaseURL(); url != "" {
		l.DB = lock.PostgresLock(url, lock.EnvKey(env.Name))
	}
	return l
}

// lockConfig is what envLocker needs from the config, and where it speaks.
type lockConfig struct {
	stateDir string
	timeout  time.Duration
	say      io.Writer // nil: stderr
}
