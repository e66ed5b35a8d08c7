// Package factory is the one way in: it builds, for every verb, what the
// verb asks for (the config, the chosen environment, the logger, the
// journal, the engine, the executor and its lock, the shared timeline's
// publisher and follower, the notifier), each once, on first use, as
// cli/cli's cmdutil.Factory does. What a process may hold is decided by its
// Mode: a read-only verb or watch is never handed a journal it writes
// actions to, a lock or an executor.
package factory

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

// Mode is what the process is for, which decides what the factory builds.
type Mode int

const (
	// Read is check and status: a read-only engine whose safe frozen
	// probes' answers are journaled (nothing else is).
	Read Mode = iota
	// Act is run: a forward step or a check through the executor.
	Act
	// Rollback is rollback: the journal and the lock that a full state
	// disk or a database outage cannot stop.
	Rollback
	// Watch is the read-only screen: no journal, lock or executor.
	Watch
	// Operate is the acting screen (operate, rehearse): one journal and
	// lock for both directions.
	Operate
)

// screen says the mode draws a screen: its logs go to --log-file only.
func (m Mode) screen() bool { return m == Watch || m == Operate }

// Factory builds a verb's parts lazily and keeps each; Close releases
// everything it built, last built first.
type Factory struct {
	Streams    *Streams
	ConfigPath string
	// EnvName is --env: "" picks the config's only environment.
	EnvName string
	Mode    Mode
	// LogFile is a screen's --log-file ("" discards its logs); the other
	// modes log to stderr.
	LogFile string
	// Process names the process in what it records (recording.go): the
	// mode's name when empty (watch, operate, rollback; run for Act),
	// "guard" for the guard.
	Process string

	config   *config.Config
	env      *config.Environment
	logger   *slog.Logger
	journal  *journal.Journal
	engine   *runbook.Engine
	shared   *runbook.SharedFeed
	recorder *recording.Recorder // recording.go
	services services
	closers  []func()
	built    map[string]error // what was built, and how that went
}

// New is the factory of one verb.
func New(s *Streams, configPath, env string, mode Mode) *Factory {
	return &Factory{Streams: s, ConfigPath: configPath, EnvName: env, Mode: mode, built: map[string]error{}}
}

// once runs build the first time name is asked for and remembers its error.
func (f *Factory) once(name string, build func() error) error {
	if err, ok := f.built[name]; ok {
		return err
	}
	err := build()
	f.built[name] = err
	return err
}

// onClose has Close call fn.
func (f *Factory) onClose(fn func()) { f.closers = append(f.closers, fn) }

// Close releases what was built, last built first.
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// Config is the loaded config; from then on every write to the streams
// hides its secrets (config.Config.Secrets).
func (f *Factory) Config() (*config.Config, error) {
	err := f.once("config", func() error {
		cfg, err := config.Load(f.ConfigPath)
		if err != nil {
			return err
		}
		f.Streams.AddSecrets(cfg.Secrets...)
		f.config = cfg
		return nil
	})
	return f.config, err
}

// Environment is the environment --env names (or the config's only one).
func (f *Factory) Environment() (*config.Environment, error) {
	err := f.once("env", func() error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		f.env, err = runbook.PickEnvironment(cfg, f.EnvName)
		return err
	})
	return f.env, err
}

// Logger is a screen's log file (discarded without one: nothing prints
// while a screen is up), or slog's default for the other modes.
func (f *Factory) Logger() (*slog.Logger, error) {
	err := f.once("logger", func() error {
		if !f.Mode.screen() {
			f.logger = slog.Default()
			return nil
		}
		logger, closeLog, err := f.Streams.OpenLog(f.LogFile)
		if err != nil {
			return err
		}
		f.logger = logger
		f.onClose(closeLog)
		return nil
	})
	return f.logger, err
}

// Journal is the environment's journal as the mode needs it: nil for
// watch (it journals nothing; it only records what it shows); for check and status the safe
// probes' answers only, and nil when it cannot be opened (a read-only state
// directory: the check still runs, it only probes every time); a forward
// step refuses to start without it; a rollback's and the screen's never
// fail to open (their records then go to a fallback file and to stderr, or
// for the screen to the log, named).
func (f *Factory) Journal() (*journal.Journal, error) {
	err := f.once("journal", func() error {
		if f.Mode == Watch {
			return nil
		}
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		env, err := f.Environment()
		if err != nil {
			return err
		}
		j, err := f.openJournal(env.Name, journal.Path(cfg.StateDir, env.Name))
		if err != nil || j == nil {
			return err
		}
		host, _ := os.Hostname()
		j.SetDefaults(env.Name, cfg.Operator, host, cfg.Hash)
		j.AddSecrets(cfg.Secrets...)
		f.journal = j
		f.onClose(func() { _ = j.Close() })
		return nil
	})
	return f.journal, err
}

// openJournal opens path as the mode's journal.
func (f *Factory) openJournal(env, path string) (*journal.Journal, error) {
	switch f.Mode {
	case Read:
		j, err := journal.Open(path)
		if err != nil {
			slog.Default().Warn("the safe probes' answers will not be journaled", "err", err)
			return nil, nil
		}
		return j, nil
	case Rollback:
		return journal.OpenWithFallback(path, journal.Fallback{Env: env, Stderr: f.Streams.ErrOut}), nil
	case Operate:
		// One journal for both directions, so it has the rollback's
		// fallback (its lines go to the log, not over the screen); a
		// forward step still stops at its first sub-step when the file
		// failed (the executor asks Err, which the fallback does not clear).
		logger, err := f.Logger()
		if err != nil {
			return nil, err
		}
		return journal.OpenWithFallback(path, journal.Fallback{Env: env, Stderr: logLines{logger}}), nil
	}
	return journal.Open(path)
}

// logLines writes each line it is given to the log as a warning; without
// a log it takes nothing (and says so, so the fallback does not count it).
type logLines struct{ l *slog.Logger }

func (w logLines) Write(p []byte) (int, error) {
	if !w.l.Enabled(context.Background(), slog.LevelWarn) {
		return 0, errors.New("no log file (--log-file)")
	}
	w.l.Warn("journal fallback", "line", strings.TrimSpace(string(p)))
	return len(p), nil
}

// Engine is the environment's engine as the mode needs it. Check and
// status journal only the safe probes' answers, so a script polling
// `check` sends no refused write per frozen runtime on every call; the
// acting verbs and operate journal what the engine saw change (the safe
// probes' answers among them), so watchers, which send no probe, read
// them; watch's engine is read-only; a rollback's gates observe nothing,
// and it never waits on a database.
func (f *Factory) Engine() (*runbook.Engine, error) {
	err := f.once("engine", func() error {
		opts, err := f.engineOptions()
		if err != nil {
			return err
		}
		f.engine, err = runbook.NewEngine(f.config, f.env.Name, opts)
		return err
	})
	return f.engine, err
}

func (f *Factory) engineOptions() (runbook.EngineOptions, error) {
	j, err := f.Journal()
	if err != nil {
		return runbook.EngineOptions{}, err
	}
	logger, err := f.Logger()
	if err != nil {
		return runbook.EngineOptions{}, err
	}
	if _, err := f.Environment(); err != nil {
		return runbook.EngineOptions{}, err
	}
	var opts runbook.EngineOptions
	switch f.Mode {
	case Read:
		opts.ProbeJournal = j
	case Act, Rollback:
		opts.Journal = j
	case Watch, Operate:
		opts = runbook.EngineOptions{Logger: logger, Journal: j, ReadOnly: f.Mode == Watch, Shared: f.Shared()}
	}
	if f.Mode != Rollback {
		opts.StagingShared = f.stagingFeeds(logger)
	}
	return opts, nil
}

// Shared is what other machines publish to the environment's shared
// timeline, as the screen's engine and timeline read it (Following feeds
// it); nil for the scripted verbs.
func (f *Factory) Shared() *runbook.SharedFeed {
	if f.shared == nil && f.Mode.screen() {
		f.shared = &runbook.SharedFeed{}
	}
	return f.shared
}
