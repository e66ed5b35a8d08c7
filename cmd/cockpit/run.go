package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
)

// actingFlags are the flags every acting verb shares.
type actingFlags struct {
	config, env, output string
	approve             []string
	overrideReason      string
	confirmEnv          string
}

func (f *actingFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output: text or json (one JSON line per event)")
	c.Flags().StringSliceVar(&f.approve, "approve", nil, "approve these actions by name (S1,V1 or rollback); nothing else runs")
	c.Flags().StringVar(&f.confirmEnv, "confirm-env", "", "type the environment's name: production needs it")
}

func newRunCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f actingFlags
	c := &cobra.Command{
		Use:   "run STEP --env E --approve STEP[,STEP…]",
		Short: "Run one runbook item (S1–S4, V1–V4, P1–P4) through the executor",
		Long: "run plans STEP, shows its exact calls and live gates, and runs it only when --approve names it.\n" +
			"Gates that are not green need --override-reason; production needs --confirm-env production.\n" +
			"Exit codes: 0 done, 1 a check failed, 2 unknown, 3 needs approval, 4 usage, 5 action failed.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("run needs one STEP: S1–S4, V1–V4 or P1–P4 (rollback has its own verb), e.g. cockpit run S1 --approve S1")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return runStep(ctx, s, &f, args[0])
		},
	}
	f.register(c)
	c.Flags().StringVar(&f.overrideReason, "override-reason", "", "run although gates are not green; the reason is journaled")
	return c
}

func runStep(ctx context.Context, s *Streams, f *actingFlags, step string) error {
	id := strings.ToUpper(strings.TrimSpace(step))
	if !isRunnable(id) {
		return usageError("%q is not a runbook item to run (S1–S4, V1–V4, P1–P4; rollback has its own verb)", step)
	}
	if _, err := formatter(eventFormats, f.output); err != nil {
		return err
	}
	if !approved(f.approve, id) {
		return withCode(exitNeedsApproval, fmt.Errorf("%s needs --approve %s: nothing changed", id, id))
	}
	plan, outcome, err := planAndExecute(ctx, s, f, id, false)
	if err != nil {
		return err
	}
	switch {
	case plan.Writes && !outcome.OK:
		return silentExit(exitActionFailed)
	case plan.Writes, outcome.Verdict == checks.Pass, outcome.Verdict == checks.Warn:
		return nil
	case outcome.Verdict == checks.Fail:
		return silentExit(exitCheckFailed)
	default:
		return silentExit(exitUnknown)
	}
}

// planAndExecute is what both acting verbs do: open the executor, show the
// plan (exact calls, live gates), execute it and print its events.
func planAndExecute(ctx context.Context, s *Streams, f *actingFlags, id string, rollback bool) (executor.Plan, executor.Outcome, error) {
	out, err := newEventWriter(s.Out, f.output)
	if err != nil {
		return executor.Plan{}, executor.Outcome{}, err
	}
	a, err := openActing(s, f, rollback)
	if err != nil {
		return executor.Plan{}, executor.Outcome{}, err
	}
	defer a.close()
	plan, err := a.x.Plan(ctx, id)
	if err != nil {
		return plan, executor.Outcome{}, withCode(exitUsage, err)
	}
	out.plan(plan)
	outcome, err := a.x.Execute(ctx, plan, a.approval(f), out.progress)
	if err != nil {
		return plan, outcome, actingError(err)
	}
	jerr := a.journalOutcome(&outcome, rollback)
	out.outcome(outcome)
	return plan, outcome, jerr
}

// journalOutcome is what the journal's health changes in an outcome. A
// forward step or a check whose journal lost a record is not OK, whatever
// it observed (exit 5, the file and errno named): its history has a hole
// nobody would know of. A rollback is never failed by its journal; its
// outcome names the fallback that took what the state disk refused.
func (a *acting) journalOutcome(o *executor.Outcome, rollback bool) error {
	if rollback {
		if u := a.j.Fallback(); u.Records > 0 {
			o.Message += "; " + u.String()
		}
		return nil
	}
	err := a.j.Err()
	if err == nil {
		return nil
	}
	if o.OK {
		o.OK = false
		o.Message = fmt.Sprintf("%s, but not journaled: %v", firstLineOf(o.Message), err)
	}
	return withCode(exitActionFailed, fmt.Errorf("%s not recorded: %w", o.Step, err))
}

// firstLineOf is a message's headline ("P1 PASS" of "P1 PASS:\n…").
func firstLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(first, ":")
}

func isRunnable(id string) bool {
	return len(id) == 2 && strings.ContainsRune("SVP", rune(id[0])) && id[1] >= '1' && id[1] <= '4'
}

func approved(list []string, id string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return strings.EqualFold(strings.TrimSpace(a), id) })
}

// actingError maps the executor's refusals to exit codes: a missing
// approval or override is 3, a busy lock or anything else that kept the
// action from starting is 5.
func actingError(err error) error {
	var refused *executor.RefusedError
	if errors.As(err, &refused) {
		return withCode(exitNeedsApproval, err)
	}
	return withCode(exitActionFailed, err)
}

// acting is one process's door to mutation: config, engine, journal, lock
// and executor. Only run and rollback build it; read-only verbs never do.
type acting struct {
	cfg    *config.Config
	j      *journal.Journal
	eng    *runbook.Engine // the guard observes through it
	x      *executor.Executor
	share  *sharing
	notify *notifying
}

// openActing builds the door; rollback picks the lock that a database
// outage cannot block, and the journal that a full or read-only state disk
// cannot stop (its records then go to stderr and a fallback file, named).
func openActing(s *Streams, f *actingFlags, rollback bool) (*acting, error) {
	cfg, err := loadConfig(s, f.config)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	env, err := runbook.PickEnvironment(cfg, f.env)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	j, err := openJournal(s, env.Name, journal.Path(cfg.StateDir, env.Name), rollback)
	if err != nil {
		return nil, withCode(exitActionFailed, err)
	}
	host, _ := os.Hostname()
	j.SetDefaults(env.Name, cfg.Operator, host, cfg.Hash)
	j.AddSecrets(cfg.Secrets...)
	// The engine journals what it saw change (the safe probes' answers
	// among them), so watchers, which send no probe, read them.
	opts := runbook.EngineOptions{Journal: j}
	if !rollback { // a rollback's gates observe nothing, and it never waits on a database
		opts.StagingShared = stagingFeeds(cfg, env, slog.Default())
	}
	eng, err := runbook.NewEngine(cfg, env.Name, opts)
	if err != nil {
		_ = j.Close()
		return nil, withCode(exitUsage, err)
	}
	// The write probe exists only here and in operate: the engine holds none.
	probe, err := executor.NewWriteProbe(cfg, env)
	if err != nil {
		_ = j.Close()
		return nil, withCode(exitUsage, err)
	}
	l := envLocker(lockConfigOf(cfg), eng, j, rollback)
	x := executor.New(eng, j, l, executor.Options{Config: cfg, Host: host, WriteProbe: probe})
	share := startSharing(cfg, runbook.SharedTimelineURL(env), env.Name, j.Path(), slog.Default())
	return &acting{cfg: cfg, j: j, eng: eng, x: x, share: share, notify: startNotifying(cfg.Notify, j, slog.Default())}, nil
}

// openJournal is the acting verb's journal: a forward step or a check
// refuses to start when it cannot open it; a rollback never does.
func openJournal(s *Streams, env, path string, rollback bool) (*journal.Journal, error) {
	if rollback {
		return journal.OpenWithFallback(path, journal.Fallback{Env: env, Stderr: s.ErrOut}), nil
	}
	return journal.Open(path)
}

// screenJournal is operate's journal: one for both directions, so it has
// the rollback's fallback (its lines go to the log, not over the screen);
// a forward step still stops at its first sub-step when the file failed
// (the executor asks Err, which the fallback does not clear).
func screenJournal(logger *slog.Logger, env, path string) *journal.Journal {
	return journal.OpenWithFallback(path, journal.Fallback{Env: env, Stderr: logLines{logger}})
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

func lockConfigOf(cfg *config.Config) lockConfig {
	return lockConfig{stateDir: cfg.StateDir, timeout: cfg.LockTimeout.D()}
}

func (a *acting) approval(f *actingFlags) executor.Approval {
	return executor.Approval{Operator: a.cfg.Operator, TypedEnv: f.confirmEnv, OverrideReason: f.overrideReason,
		Via: "cli --approve " + strings.Join(f.approve, ",")}
}

func (a *acting) close() {
	a.notify.close()
	a.share.close()
	_ = a.j.Close()
}

// eventWriter prints the plan, progress and outcome in the -o format.
type eventWriter struct {
	w    io.Writer
	emit func(w io.Writer, kind string, v any, text string)
}

// eventFormats are how run and rollback print each event, by -o: its text
// line, or one JSON object per line ({"type": kind, kind: event}).
var eventFormats = output.Registry[func(w io.Writer, kind string, v any, text string)]{
	output.Text: func(w io.Writer, _ string, _ any, text string) { fmt.Fprintln(w, text) },
	output.JSON: func(w io.Writer, kind string, v any, _ string) {
		b, _ := json.Marshal(map[string]any{"type": kind, kind: v})
		fmt.Fprintln(w, string(b))
	},
}

func newEventWriter(w io.Writer, format string) (*eventWriter, error) {
	emit, err := formatter(eventFormats, format)
	if err != nil {
		return nil, err
	}
	return &eventWriter{w: w, emit: emit}, nil
}

func (e *eventWriter) plan(p executor.Plan) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s", p.ID, p.Env)
	for _, c := range p.Calls {
		fmt.Fprintf(&b, "\n  call  %s", c.Show())
	}
	for _, g := range p.Gates {
		fmt.Fprintf(&b, "\n  gate  %s %s", g.ID, g.Line(p.At))
	}
	type planJSON struct {
		ID         string          `json:"id"`
		Env        string          `json:"env"`
		Calls      []executor.Call `json:"calls"`
		Gates      []checks.Result `json:"gates"`
		GatesGreen bool            `json:"gates_green"`
	}
	e.emit(e.w, "plan", planJSON{p.ID, p.Env, p.Calls, p.Gates, p.GatesGreen}, b.String())
}

func (e *eventWriter) progress(p executor.Progress) {
	at := p.At
	if at.IsZero() {
		at = p.Started
	}
	e.emit(e.w, "progress", p, fmt.Sprintf("%s %s %s: %s", at.Format("15:04:05"), p.Step, p.SubStep, p.Message))
}

func (e *eventWriter) outcome(o executor.Outcome) {
	state := "OK"
	if !o.OK {
		state = "FAILED"
	}
	e.emit(e.w, "outcome", o, fmt.Sprintf("%s %s: %s", o.Step, state, o.Message))
}
