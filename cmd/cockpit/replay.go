package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
	"github.com/openagents/cockpit/tui"
)

// replayFlags are replay's flags: the screen verbs' config and env, and
// which part of the recording to play how fast.
type replayFlags struct {
	config, env, logFile string
	from, to             string
	speed                float64
	process              string // only this process's rounds ("": every one's)
}

func newReplayCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f replayFlags
	c := &cobra.Command{
		Use:   "replay --env E [--from T] [--to T] [--speed N]",
		Short: "Replay a recorded session on the same screen, read-only: what the cockpit observed, judged and showed, round by round",
		Long: "replay plays the environment's recording (<state_dir>/<env>/recording) on the screen, with the journal as it stood\n" +
			"at each round: REPLAY and the recorded time in the header; space pauses, ←/→ step a round, [/] jump to the\n" +
			"previous/next action, override or incident change, g goes to a time. No action key works.\n" +
			"Times are UTC, as the screen shows them: 13:42, 13:42:10 (today), 2026-12-07 13:42:10, RFC 3339, or an age (2h: two hours ago).",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return replay(ctx, s, &f) },
	}
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVar(&f.logFile, "log-file", "", "write logs here (the screen never shows them)")
	c.Flags().StringVar(&f.from, "from", "", "start at the first round at or after this time (default: the recording's start)")
	c.Flags().StringVar(&f.to, "to", "", "stop at the last round at or before this time (default: the recording's end)")
	c.Flags().Float64Var(&f.speed, "speed", 1, "play at N times the recorded pace")
	c.Flags().StringVar(&f.process, "process", "", "only the rounds this process recorded (operate, watch, guard, check): what its screen showed, when several observed at once")
	completeConfigFlags(c)
	_ = c.RegisterFlagCompletionFunc("process", cobra.FixedCompletions([]string{"operate", "watch", "guard", "check"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// replay reads the recording and the journal, then shows them; it changes
// nothing anywhere and takes no lock. The factory is asked only for the
// config, the environment, the logger and the shared timeline: no engine,
// recorder, journal writer or executor exists in this process.
func replay(ctx context.Context, s *Streams, f *replayFlags) error {
	if !s.IsTTY {
		return usageError("replay needs a terminal; for a post-mortem on file use cockpit report")
	}
	q, err := f.query(time.Now())
	if err != nil {
		return err
	}
	fac := factory.New(s, f.config, f.env, factory.Watch)
	fac.LogFile = f.logFile
	defer fac.Close()
	env, err := fac.Environment()
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg, _ := fac.Config()
	logger, err := fac.Logger()
	if err != nil {
		return withCode(exitUsage, err)
	}
	rec, notes, err := readRecording(recording.Dir(cfg.StateDir, env.Name), q, f.process)
	if err != nil {
		return err
	}
	recs, note, jerr := replayJournal(ctx, fac, journal.Path(cfg.StateDir, env.Name), env.Name)
	if note != "" {
		notes = append(notes, note)
	}
	err = runScreen(ctx, tui.Options{
		Env: env.Name, Production: env.Production, Mode: tui.Replay, Operator: cfg.Operator,
		Playback: &tui.Playback{Rounds: rec, Journal: recs, JournalErr: jerr, Notes: notes, Speed: f.speed},
		Refresh:  cfg.Refresh.D(), StaleAfter: cfg.StaleAfter.D(), Signals: env.Signals,
		Input: s.In, Output: s.Out, Logger: logger, Redact: s.Redact, Mask: s.Mask,
	})
	for _, n := range notes { // still there once the screen is gone
		fmt.Fprintln(s.ErrOut, "cockpit replay: recording:", n)
	}
	return err
}

// replayJournal is the environment's timeline for the replay: this
// machine's journal with, when the environment's database answers, every
// other machine's records (the team's actions, as the screen showed
// them); otherwise this machine's alone, and a note that says why.
func replayJournal(ctx context.Context, fac *factory.Factory, path, env string) (recs []journal.Record, note string, err error) {
	local, err := journal.Read(path) // a corrupt line is named, the rest read
	shared, serr := fac.SharedTimeline(ctx, env)
	if serr != nil {
		return local, "shared timeline: " + serr.Error() + ": this machine's journal only", err
	}
	return sharedlog.Merge(shared, local), "", err
}

// query is the part of the recording the flags ask for.
func (f *replayFlags) query(now time.Time) (recording.Query, error) {
	var q recording.Query
	var err error
	if f.speed <= 0 {
		return q, usageError("--speed %g: give a pace above 0 (1 is as recorded, 10 ten times faster)", f.speed)
	}
	if f.from != "" {
		if q.From, err = recording.ParseTime(f.from, now); err != nil {
			return q, usageError("--from: %v", err)
		}
	}
	if f.to != "" {
		if q.To, err = recording.ParseTime(f.to, now); err != nil {
			return q, usageError("--to: %v", err)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, usageError("--to %s is before --from %s", f.to, f.from)
	}
	return q, nil
}

// recorded is a recording read for the screen: each round's time, where
// it came from, and its JSON, decoded only when the screen shows it.
type recorded struct{ rounds []recording.Round }

func (r *recorded) Len() int             { return len(r.rounds) }
func (r *recorded) Time(i int) time.Time { return r.rounds[i].At }

// State is round i as the screen showed it, saying which process
// recorded it on which host.
func (r *recorded) State(i int) (runbook.State, error) {
	st, err := r.rounds[i].State()
	h := r.rounds[i].Header
	st.Source = fmt.Sprintf("recorded by %s on %s", h.Process, h.Host)
	if d := r.rounds[i].Dropped; d > 0 {
		st.Source += fmt.Sprintf(" (%d round(s) not recorded before it)", d)
	}
	return st, err
}

// maxReplayRounds bounds the rounds one replay holds: an hour of 1 s
// rounds. A rehearsal round is about 36 KB of JSON, so an hour holds
// about 130 MB (TestReplayShowsTheRecordedSpike logs the figure); a
// longer recording is replayed an hour at a time (--from).
const maxReplayRounds = 3600

// Incidents is round i's incidents alone (runbook.DecodeIncidents).
func (r *recorded) Incidents(i int) ([]runbook.IncidentStatus, error) {
	return runbook.DecodeIncidents(r.rounds[i].JSON())
}

// readRecording reads the rounds q asks for, with what could not be read.
// None is an error that says why: no recording at all, or none in the
// time asked, with the times the recording has.
func readRecording(dir string, q recording.Query, process string) (*recorded, []string, error) {
	rec, more := &recorded{}, false
	sessions := map[string]string{} // session → "watch on host"
	notes, err := recording.Read(dir, q, func(r recording.Round) error {
		if process != "" && r.Header.Process != process {
			return nil
		}
		sessions[r.Header.Session] = r.Header.Process + " on " + r.Header.Host
		if len(rec.rounds) == maxReplayRounds {
			more = true
			return recording.ErrStop
		}
		rec.rounds = append(rec.rounds, r)
		return nil
	})
	if err != nil {
		return nil, notes, withCode(exitUsage, fmt.Errorf("reading the recording %s: %w", dir, err))
	}
	if n := len(rec.rounds); more {
		notes = append(notes, fmt.Sprintf("only its first %d rounds, to %s, are replayed: give --from %s for what follows",
			n, rec.rounds[n-1].At.UTC().Format("15:04:05"), rec.rounds[n-1].At.UTC().Format("2006-01-02T15:04:05")))
	}
	if len(sessions) > 1 {
		notes = append(notes, fmt.Sprintf("the rounds of %d processes interleave (%s): --process replays one's",
			len(sessions), strings.Join(slices.Sorted(maps.Values(sessions)), ", ")))
	}
	if len(rec.rounds) > 0 {
		return rec, notes, nil
	}
	return nil, notes, noRounds(dir, q, process, notes)
}

// noRounds says why nothing can be replayed: nothing was recorded (by
// the process asked for), or nothing in the time asked (and when the
// recording is).
func noRounds(dir string, q recording.Query, process string, notes []string) error {
	var first, last time.Time
	_, _ = recording.Read(dir, recording.Query{}, func(r recording.Round) error {
		if process != "" && r.Header.Process != process {
			return nil
		}
		if first.IsZero() {
			first = r.At
		}
		last = r.At
		return nil
	})
	by := ""
	if process != "" {
		by = " by " + process
	}
	if first.IsZero() {
		why := ""
		if len(notes) > 0 {
			why = fmt.Sprintf(" (%s)", notes[0])
		}
		return usageError("nothing to replay: no round recorded%s in %s%s; operate, watch, guard, run, rollback and the scripted checks record the rounds they observe", by, dir, why)
	}
	span := first.UTC().Format("2006-01-02 15:04:05") + " to " + last.UTC().Format("2006-01-02 15:04:05")
	return usageError("nothing to replay between %s and %s: the rounds recorded%s in %s run from %s; give --from and --to within it",
		orOpen(q.From, "the start"), orOpen(q.To, "the end"), by, dir, span)
}

// orOpen is a bound of the time asked, or what an open one means.
func orOpen(t time.Time, open string) string {
	if t.IsZero() {
		return open
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
