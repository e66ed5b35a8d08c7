package factory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/notify"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/selfmetrics"
	"github.com/openagents/cockpit/sharedlog"
)

// services are the background services the factory started.
type services struct {
	sharing   *sharedlog.Sharing
	following *sharedlog.Following
	notifier  *notify.Journaled
	executor  *executor.Executor
	exporter  *selfmetrics.Exporter // observers.go: SelfMetrics
}

// Trust is what this cockpit believes of the shared timeline and feed: the
// config's team_keys (validated when the config loaded), this machine's own
// operator key when team_keys does not list that operator
// (Keyring.WithOwn; never created here), and its max_clock_skew.
func (f *Factory) Trust() (sharedlog.Trust, error) {
	cfg, err := f.Config()
	if err != nil {
		return sharedlog.Trust{}, err
	}
	ring, _ := signing.NewKeyring(cfg.TeamKeys) // Load refused a config whose keys do not parse
	if own, err := signing.Load(cfg.StateDir, cfg.Operator, false); err == nil {
		ring = ring.WithOwn(own)
	}
	return sharedlog.Trust{Keys: ring, MaxSkew: cfg.MaxClockSkew.D()}, nil
}

// stagingReadTimeout bounds reading the required environment's shared
// timeline when a production command starts.
const stagingReadTimeout = 2 * time.Second

// stagingFeeds are, for a production environment, the records other
// machines published to the timeline of the environment it requires, read
// once when the command starts (bounded by stagingReadTimeout): a staging
// run done on another laptop counts toward production's S4 gate as one done
// here does. A timeline that does not answer counts nothing (this machine's
// staging journal still does), and says so in the log.
func (f *Factory) stagingFeeds(logger *slog.Logger) map[string]*runbook.SharedFeed {
	cfg, env := f.config, f.env
	name := env.Requires
	other := cfg.Environments[name]
	if !env.Production || other == nil {
		return nil
	}
	url := runbook.SharedTimelineURL(other)
	if url == "" {
		return nil
	}
	trust, _ := f.Trust()
	ctx, cancel := context.WithTimeout(context.Background(), stagingReadTimeout)
	recs, err := sharedlog.ReadOthers(ctx, url, name, journal.Path(cfg.StateDir, name), trust)
	cancel()
	if err != nil {
		logger.Warn("staging's shared timeline unread: only this machine's staging journal counts for S4", "env", name, "err", err)
		return nil
	}
	feed := &runbook.SharedFeed{}
	feed.Add(recs)
	return map[string]*runbook.SharedFeed{name: feed}
}

// Sharing publishes the journal to the environment's shared timeline (nil
// when it has none, or the mode journals nothing of its own).
func (f *Factory) Sharing() (*sharedlog.Sharing, error) {
	err := f.once("sharing", func() error {
		j, logger, err := f.ownJournal()
		if err != nil || j == nil {
			return err
		}
		cfg := f.config
		f.services.sharing = sharedlog.StartSharing(sharedlog.SharingOptions{URL: runbook.SharedTimelineURL(f.env),
			Env: f.env.Name, JournalPath: j.Path(), StateDir: cfg.StateDir, Operator: cfg.Operator,
			MaxSkew: cfg.MaxClockSkew.D(), Logger: logger})
		f.onClose(f.services.sharing.Close)
		return nil
	})
	return f.services.sharing, err
}

// ownJournal is the journal this process writes its own records to, and
// its logger; nil for the read-only modes (a check's journal holds only the
// safe probes' answers: nothing to publish or tell).
func (f *Factory) ownJournal() (*journal.Journal, *slog.Logger, error) {
	if f.Mode == Read || f.Mode == Watch {
		return nil, nil, nil
	}
	j, err := f.Journal()
	if err != nil {
		return nil, nil, err
	}
	logger, err := f.Logger()
	return j, logger, err
}

// Following feeds other machines' records into Shared (the screens only;
// nil when the environment has no shared timeline).
func (f *Factory) Following() (*sharedlog.Following, error) {
	err := f.once("following", func() error {
		if !f.Mode.screen() {
			return nil
		}
		env, err := f.Environment()
		if err != nil {
			return err
		}
		logger, err := f.Logger()
		if err != nil {
			return err
		}
		trust, _ := f.Trust()
		f.services.following = sharedlog.StartFollowing(trust, runbook.SharedTimelineURL(env), env.Name,
			journal.Path(f.config.StateDir, env.Name), f.Shared().Add, logger)
		f.onClose(f.services.following.Close)
		return nil
	})
	return f.services.following, err
}

// Notifier tells the config's webhooks what the journal records (nil
// without targets, or when the mode journals nothing of its own).
func (f *Factory) Notifier() (*notify.Journaled, error) {
	err := f.once("notifier", func() error {
		j, logger, err := f.ownJournal()
		if err != nil || j == nil {
			return err
		}
		f.services.notifier = notify.FromJournal(f.config.Notify, j, logger)
		f.onClose(f.services.notifier.Close)
		return nil
	})
	return f.services.notifier, err
}

// Locker is the environment's lock (lock.Policy): a rollback's for
// rollback, a forward step's for run, and for the screen the one that picks
// by the step. What a rollback does about a holder is journaled and, on the
// command line, said on stderr (the screen shows the journal instead).
func (f *Factory) Locker() (lock.Locker, error) {
	if f.Mode != Act && f.Mode != Rollback && f.Mode != Operate {
		return nil, fmt.Errorf("no lock in %v mode: this process only reads", f.Mode)
	}
	j, err := f.Journal()
	if err != nil {
		return nil, err
	}
	eng, err := f.Engine()
	if err != nil {
		return nil, err
	}
	say := f.Streams.ErrOut
	if f.Mode == Operate {
		say = io.Discard
	}
	p := lock.Policy{StateDir: f.config.StateDir, Env: f.env.Name, DBURL: eng.DatabaseURL(), Timeout: f.config.LockTimeout.D(),
		Note: func(h lock.Holder, msg string) {
			_ = j.Append(journal.Record{Kind: journal.KindProgress, Step: h.Step, Check: "lock", Operator: h.Operator, Message: msg})
			fmt.Fprintln(say, "cockpit: lock: "+safetext.Clean(msg))
		}}
	if f.Mode == Operate {
		return p.Locker(), nil
	}
	return p.For(f.Mode == Rollback), nil
}

// Executor is the one door to mutation: engine, journal and lock, and
// with them the shared timeline's publisher and the notifier. Only run,
// rollback and the acting screen build it.
func (f *Factory) Executor() (*executor.Executor, error) {
	err := f.once("executor", func() error {
		l, err := f.Locker()
		if err != nil {
			return err
		}
		// The write probe exists only here, in what the acting modes build:
		// the engine holds none, and a read-only process never gets here.
		probe, err := executor.NewWriteProbe(f.config, f.env)
		if err != nil {
			return err
		}
		host, _ := os.Hostname()
		opts := executor.Options{Config: f.config, Host: host, WriteProbe: probe, PostMortem: f.postMortem}
		if f.Mode == Operate {
			opts.Logger = f.logger
		}
		world, err := f.executorWorld()
		if err != nil {
			return err
		}
		f.services.executor = executor.New(world, f.journal, l, opts)
		if _, err := f.Sharing(); err != nil {
			return err
		}
		_, err = f.Notifier()
		return err
	})
	return f.services.executor, err
}

// String names the mode in errors.
func (m Mode) String() string {
	return [...]string{"read", "act", "rollback", "watch", "operate"}[m]
}

// sharedTimelineTimeout bounds reading the shared timeline; past it the
// caller prints the local journal instead, saying so.
const sharedTimelineTimeout = 5 * time.Second

// SharedTimeline is env's shared timeline, every machine's records but
// this machine's own (read from its journal): none when env has no
// database; an error, with the URL's secrets redacted, when it does not
// answer or its schema or grants do not serve a watcher (checked, never
// migrated).
func (f *Factory) SharedTimeline(ctx context.Context, env string) ([]journal.Record, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	url := runbook.SharedTimelineURL(cfg.Environments[env])
	if url == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimelineTimeout)
	defer cancel()
	err = sharedlog.CheckAccessAt(ctx, url, sharedlog.Follow)
	var recs []journal.Record
	if err == nil {
		trust, _ := f.Trust()
		recs, err = sharedlog.ReadOthers(ctx, url, env, journal.Path(cfg.StateDir, env), trust)
	}
	if err != nil {
		return nil, errors.New(safetext.Clean(journal.Redact(err.Error(), url)))
	}
	return recs, nil
}
