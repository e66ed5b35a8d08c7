package factory

import (
	"cmp"
	"context"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/report"
	"github.com/openagents/cockpit/runbook"
)

// Recorder is the flight recorder of an observing process (operate,
// rehearse, watch, guard, run, rollback): every round it observes goes to
// <state_dir>/<env>/recording, one writer a process. Nil, and no error,
// when the config turns recording off or it cannot start (an unwritable
// state directory: a log line, never a screen or a rollback that does not
// open). A process that journals says so in one line when recording
// stops (and logs it: a rollback's stderr says it).
func (f *Factory) Recorder() (*recording.Recorder, error) {
	err := f.once("recorder", func() error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		env, err := f.Environment()
		if err != nil {
			return err
		}
		logger, err := f.Logger()
		if err != nil {
			return err
		}
		j, err := f.Journal()
		if err != nil {
			return err
		}
		onStop := func(why string) {
			if j == nil {
				return
			}
			ok := false
			if err := j.Append(journal.Record{Kind: journal.KindRecording, Message: "recording stopped: " + why, OK: &ok}); err != nil {
				logger.Error("journaling that recording stopped", "err", err)
			}
		}
		rec, err := recording.Open(cfg, env.Name, f.recordedAs(), "", logger, onStop)
		if err != nil {
			logger.Error("not recording this session's rounds", "err", err)
			return nil
		}
		f.recorder = rec
		f.onClose(func() {
			if err := rec.Close(); err != nil {
				logger.Warn("closing the recording", "err", err)
			}
		})
		return nil
	})
	return f.recorder, err
}

// recordedAs names the process in its recording: Process, else the verb
// the mode serves (run for Act, whose other verb, guard cancel, observes
// nothing).
func (f *Factory) recordedAs() string {
	if f.Mode == Act {
		return cmp.Or(f.Process, "run")
	}
	return cmp.Or(f.Process, f.Mode.String())
}

// Recorded is obs with every round recorded (the engine's own, or the
// shared feed's under watch --follow), and the runbook pane's title
// saying so when recording stopped.
func (f *Factory) Recorded(obs Observer) (Observer, error) {
	rec, err := f.Recorder()
	if err != nil {
		return nil, err
	}
	return recordingObserver{Observer: obs, rec: rec}, nil
}

// RecordedEngine is the engine's rounds, handed on as observed and
// recorded with the config's secrets hidden: the guard's, which judges
// the round itself and shows no screen.
func (f *Factory) RecordedEngine() (Observer, error) {
	eng, err := f.Engine()
	if err != nil {
		return nil, err
	}
	rec, err := f.Recorder()
	if err != nil {
		return nil, err
	}
	return recordingObserver{Observer: eng, rec: rec, hide: f.Streams.Redact}, nil
}

// executorWorld is what the executor observes through. For run and
// rollback (the guard's among them) it is the engine with every round the
// executor observes recorded, as RecordedEngine records the guard's: the
// plan's gates, the confirm-time gates under the lock, each sub-step's
// verification, the rollback's settle and R4's snapshot, so the
// post-mortem sees what the approval saw. Never blocking: Record drops a
// round rather than wait for the disk, and a disk that fails stops the
// recording (journaled, logged), not the step. Operate's screen records
// its own rounds; its executor observes the engine as it is.
func (f *Factory) executorWorld() (executor.World, error) {
	if f.Mode == Operate {
		return f.engine, nil
	}
	rounds, err := f.RecordedEngine()
	if err != nil {
		return nil, err
	}
	return recordedWorld{Engine: f.engine, rounds: rounds}, nil
}

// recordedWorld is the engine whose rounds come through rounds (recorded).
type recordedWorld struct {
	*runbook.Engine
	rounds Observer
}

func (w recordedWorld) Observe(ctx context.Context) runbook.State { return w.rounds.Observe(ctx) }

// recordingObserver records each round it hands on, with hide's secrets
// hidden when the round itself is not (nil: it already is).
type recordingObserver struct {
	Observer
	rec  *recording.Recorder
	hide func(string) string
}

func (o recordingObserver) Observe(ctx context.Context) runbook.State {
	st := o.Observer.Observe(ctx)
	if o.hide != nil {
		o.rec.Record(st.Redacted(o.hide))
	} else {
		o.rec.Record(st)
	}
	if why := o.rec.Stopped(); why != "" {
		st.Source = joinSource(st.Source, why)
	}
	return st
}

// joinSource adds a note to what the runbook pane's title says.
func joinSource(source, note string) string {
	if source == "" {
		return note
	}
	return source + " · " + note
}

// RecordRound records a one-shot verb's round (check), its secrets
// hidden, in the day's segment (recording.RecordOnce); a failure is a log
// line, never the verb's.
func (f *Factory) RecordRound(st runbook.State) {
	cfg, err := f.Config()
	if err != nil || cfg.Recording.Off {
		return
	}
	env, err := f.Environment()
	if err != nil {
		return
	}
	logger, _ := f.Logger()
	o := recording.Options{Dir: recording.Dir(cfg.StateDir, env.Name), Env: env.Name, Process: "check",
		MaxBytes: cfg.Recording.MaxBytes, Logger: logger}
	if err := recording.RecordOnce(o, st.Redacted(f.Streams.Redact)); err != nil {
		logger.Warn("recording the round", "err", err)
	}
}

// postMortemWindow is how far back R4's report reaches: the hour before
// the rollback; a longer window is cockpit report --from, the morning after.
const postMortemWindow = time.Hour

// postMortemBudget bounds R4's report: an hour of one process's rounds
// reads in about 12 s (3.4 ms a round on 2 cores); past the budget R4 says
// so and goes on, the evidence collected without it.
const postMortemBudget = 45 * time.Second

// postMortem is R4's report (executor.Options.PostMortem).
func (f *Factory) postMortem(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, postMortemBudget)
	defer cancel()
	now := time.Now()
	_, err := report.Write(ctx, report.Options{Config: f.config, Env: f.env, Out: dir, From: now.Add(-postMortemWindow), To: now})
	return err
}
