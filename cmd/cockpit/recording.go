package main

import (
	"context"
	"log/slog"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/tui"
)

// startRecording starts the flight recorder for a process observing env.
// A recorder that cannot start (the state directory unwritable) is a log
// line, never a screen that does not open: nil records nothing. When j is
// set (operate), recording stopping is journaled, one line.
func startRecording(cfg *config.Config, env, process string, j *journal.Journal, logger *slog.Logger) *recording.Recorder {
	onStop := func(why string) {
		if j == nil {
			return
		}
		ok := false
		if err := j.Append(journal.Record{Kind: journal.KindRecording, Message: "recording stopped: " + why, OK: &ok}); err != nil {
			logger.Error("journaling that recording stopped", "err", err)
		}
	}
	rec, err := recording.Open(cfg, env, process, version(), logger, onStop)
	if err != nil {
		logger.Error("not recording this session's rounds", "err", err)
		return nil
	}
	return rec
}

// recordingObserver records every round the screen is given (its own, or
// the shared feed's under watch --follow), and says on the screen when
// recording stopped.
type recordingObserver struct {
	tui.Observer
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

// recordOnce records a scripted verb's one round in its day's segment,
// waiting for the disk briefly (recording.RecordOnce): a failure is a log
// line, never the verb's.
func recordOnce(cfg *config.Config, env, process string, st runbook.State) {
	if cfg.Recording.Off {
		return
	}
	o := recording.Options{Dir: recording.Dir(cfg.StateDir, env), Env: env, Process: process, Version: version(),
		MaxBytes: cfg.Recording.MaxBytes}
	if err := recording.RecordOnce(o, st); err != nil {
		slog.Default().Warn("recording the round", "err", err)
	}
}
