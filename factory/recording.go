package factory

import (
	"context"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/report"
	"github.com/openagents/cockpit/runbook"
)

// Recorder is the flight recorder of a screen (operate, rehearse, watch):
// every round the screen shows goes to <state_dir>/<env>/recording. Nil,
// and no error, when the config turns recording off or it cannot start
// (an unwritable state directory: a log line, never a screen that does
// not open). Operate journals, one line, when recording stops.
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
		rec, err := recording.Open(cfg, env.Name, f.Mode.String(), "", logger, onStop)
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

// recordingObserver records each round it hands on.
type recordingObserver struct {
	Observer
	rec *recording.Recorder
}

func (o recordingObserver) Observe(ctx context.Context) runbook.State {
	st := o.Observer.Observe(ctx)
	o.rec.Record(st)
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
