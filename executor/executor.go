// Package executor acts on the cutover: it is the one door for every
// mutation. It plans a runbook step (its actuator calls and gates), takes
// the environment's lock, journals intent and outcome, runs the actuators
// and the write probe, verifies each change on a fresh observation from the
// engine (package runbook, which it imports and which never imports it), and
// runs the rollback with its artifacts. Read-only processes never build one.
package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/boundedhttp"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// World is what the executor needs from the engine: one fresh round of
// observations on demand, and the environment it observes. *Engine is the
// World in the program; post-verification reads it, never the journal.
type World interface {
	Observe(ctx context.Context) runbook.State
	Env() *config.Environment
	// Gates are the live gate values for action id in a state.
	Gates(st runbook.State, id string) []checks.Result
	// NoteProbeRun takes in the run the write probe wrote, which the
	// engine's judgement of V1, S2, P3, I3 and V4 rests on.
	NoteProbeRun(rep checks.WriteProbeReport)
}

// WriteProber is the explicit write probe (*checks.WriteProber in the
// program): the one probe that WRITES a run.
type WriteProber interface {
	WriteProbe(ctx context.Context) (checks.WriteProbeReport, []checks.Result)
}

// Options are the executor's collaborators and clock.
type Options struct {
	Config     *config.Config // state dir and parity glob for rollback artifacts
	HTTPClient *http.Client   // for HTTP actuators
	Now        func() time.Time
	Host       string
	// Logger receives what cannot go elsewhere (a journal write that failed).
	Logger *slog.Logger
	// WriteProbe is the explicit, labelled write probe (S2, V1); it WRITES.
	// Only the acting path builds one (NewWriteProbe): the engine holds
	// none. When nil, the probe's steps fail with a clear message.
	WriteProbe WriteProber
	// PollInterval spaces post-verification observations (default 1 s).
	PollInterval time.Duration
	// CohortTolerance is how many percentage points the observed rust share
	// may differ from the cohort set (default 5).
	CohortTolerance float64
	// PostMortem, when set, writes the post-mortem report into a directory
	// (report.md, charts/); R4 collects it with the rest of the evidence. A
	// report that fails is said, never R4's failure: the raw evidence is
	// collected either way.
	PostMortem func(ctx context.Context, dir string) error
}

// Executor is the one door for every mutation: lock, journal, actuators,
// post-verification. Read-only commands never construct one.
type Executor struct {
	world   World
	journal *journal.Journal
	locker  lock.Locker
	opts    Options
	act     Actuator
}

// New wires the executor. The journal and the locker are required:
// an action nobody can audit or that two operators can run at once is not
// offered.
func New(w World, j *journal.Journal, l lock.Locker, o Options) *Executor {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.CohortTolerance <= 0 {
		o.CohortTolerance = 5
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	// HTTP actuators read bounded answers; each call's own timeout (its
	// context) ends it, the client's only backs that up.
	var maxBytes int64
	if o.Config != nil {
		maxBytes = o.Config.MaxResponseBytes
	}
	client := boundedhttp.Wrap(o.HTTPClient, boundedhttp.Options{MaxBytes: maxBytes, Timeout: runbook.ActionQuiet(w.Env())})
	return &Executor{world: w, journal: j, locker: l, opts: o, act: Actuator{HTTPClient: client, Now: o.Now}}
}

// Approval is an operator's yes to one plan.
type Approval struct {
	Operator       string
	TypedEnv       string // production needs its name typed
	OverrideReason string // needed when gates are not green; journaled
	Via            string // "cli --approve", "tui confirm", "guard"
	// Evidence is what moved an approver that is not a person (the guard:
	// the incident's evidence and its inputs' ages), journaled on the
	// approval before the gates' evidence.
	Evidence string
}

// Progress is reported at every sub-step so the screen and scripted mode
// show what is running and since when.
type Progress struct {
	Step    string    `json:"step"`
	SubStep string    `json:"sub_step"`
	Message string    `json:"message"`
	Started time.Time `json:"started"`
	At      time.Time `json:"at"` // when this event happened
}

// Outcome is how an action ended.
type Outcome struct {
	Step        string         `json:"step"`
	OK          bool           `json:"ok"`
	Message     string         `json:"message"`
	ArtifactDir string         `json:"artifact_dir,omitempty"`
	Verdict     checks.Verdict `json:"verdict"`          // the item's verdict for check-only runs
	Failed      []string       `json:"failed,omitempty"` // sub-steps that failed (rollback names each)
	// Steps is each R-step's result, for a rollback.
	Steps []StepResult `json:"steps,omitempty"`
}

// StepResult is one R-step of a rollback as it ended.
type StepResult struct {
	ID       string `json:"id"`
	Verified bool   `json:"verified"`
	Message  string `json:"message"`
}

// RefusedError is an action that did not start because an approval or an
// override was missing: nothing changed.
type RefusedError struct {
	Step   string
	Reason string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s refused: %s", e.Step, e.Reason) }

// The journal's words for the environment's lock changing hands (progress
// records with Check "lock"); notifications read them.
const (
	LockTakenMessage    = "lock taken"
	LockReleasedMessage = "lock released"
	// LockLostMessage begins a record that the lock went without a clean
	// release (its session ended, a rollback took it, the release failed):
	// every lock taken is told released or lost.
	LockLostMessage = "lock lost"
)

// Execute runs a plan: it refuses without the approvals the plan needs,
// takes the lock, re-reads the gates, journals the approval (and any
// override), then runs each sub-step with intent, call, post-verification
// and outcome journaled, reporting progress as it goes.
func (x *Executor) Execute(ctx context.Context, p Plan, a Approval, progress func(Progress)) (Outcome, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if !p.Writes {
		return x.runChecks(ctx, p, a.Operator, progress)
	}
	if err := x.approve(p, a, p.Gates); err != nil {
		return Outcome{}, err
	}
	lease, err := x.locker.Acquire(ctx, lock.Holder{Operator: a.Operator, Host: x.opts.Host, PID: os.Getpid(),
		Env: p.Env, Step: p.ID, Since: x.opts.Now()})
	if err != nil {
		x.record(journal.Record{Kind: journal.KindRefused, Step: p.ID, Operator: a.Operator, Reason: err.Error()})
		return Outcome{}, fmt.Errorf("taking the %s lock: %w", p.Env, err)
	}
	// Who holds the environment's lock is news to every watcher (and to
	// the team's notifications): taking and releasing it are journaled.
	x.record(journal.Record{Kind: journal.KindProgress, Step: p.ID, Check: "lock", Operator: a.Operator,
		Message: LockTakenMessage + " for " + p.ID})
	defer func() {
		msg := LockReleasedMessage
		if err := lease.Release(); err != nil {
			msg = LockLostMessage + ": releasing it failed: " + err.Error()
		}
		x.record(journal.Record{Kind: journal.KindProgress, Step: p.ID, Check: "lock", Operator: a.Operator, Message: msg})
	}()
	ctx, stop := x.watchLease(ctx, lease, p.ID, a.Operator)
	defer stop()
	x.closeInterrupted(a.Operator, progress)

	// The dialog may have been open for a while: the gates that count are
	// the ones read now, under the lock. A rollback has none.
	var gates []checks.Result
	if p.ID != runbook.RollbackID {
		gates = x.world.Gates(x.world.Observe(ctx), p.ID)
	}
	if err := x.approve(p, a, gates); err != nil {
		return Outcome{}, err
	}
	if err := x.journalApproval(p, a, gates); err != nil {
		return Outcome{}, err
	}
	if p.ID == runbook.RollbackID {
		return x.runRollback(ctx, p, a, progress, lease.TookOver())
	}
	out := Outcome{Step: p.ID, OK: true}
	for _, s := range p.steps {
		ok, msg := x.runStep(ctx, p.ID, a.Operator, s, progress)
		if !ok {
			out.OK, out.Failed = false, []string{s.name}
			out.Message = fmt.Sprintf("%s failed at %s: %s", p.ID, s.name, firstLine(msg))
			if ctx.Err() != nil {
				out.Message = fmt.Sprintf("%s interrupted at %s (%v): %s", p.ID, s.name, context.Cause(ctx), firstLine(msg))
			}
			if p.ID == "S4" {
				out.Message += "; rollback recommended"
			}
			break
		}
	}
	if out.OK {
		out.Message = fmt.Sprintf("%s done: %d sub-step(s) verified", p.ID, len(p.steps))
	}
	ok := out.OK
	x.record(journal.Record{Kind: journal.KindOutcome, Step: p.ID, Operator: a.Operator, OK: &ok, Message: out.Message})
	return out, nil
}

// watchLease ties the action to its lock: a forward step whose lock is lost
// (its database session ended, or a rollback took the lock over) stops at
// its next safe point with that cause; a rollback carries on (it must
// finish, and it took the file lock too), journaling the loss.
func (x *Executor) watchLease(ctx context.Context, lease *lock.Lease, step, operator string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	ctx = withFence(ctx, lease, cancel)
	go func() {
		select {
		case err := <-lease.Lost():
			msg := LockLostMessage + ": " + err.Error() + ": stopping at the next safe point"
			if step == runbook.RollbackID {
				msg = LockLostMessage + ": " + err.Error() + ": the rollback carries on"
			} else {
				cancel(fmt.Errorf("lock lost: %w", err))
			}
			x.record(journal.Record{Kind: journal.KindProgress, Step: step, Check: "lock", Operator: operator, Message: msg})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// approve refuses a plan whose approvals do not cover it.
func (x *Executor) approve(p Plan, a Approval, gates []checks.Result) error {
	var reason string
	switch {
	case p.Production && a.TypedEnv != p.Env:
		reason = fmt.Sprintf("%s is production: type its name to confirm (--confirm-env %s on the command line; got %q)", p.Env, p.Env, a.TypedEnv)
	case !runbook.AllGreen(gates) && strings.TrimSpace(a.OverrideReason) == "":
		reason = "gates are not green (give an override reason to proceed anyway; it is journaled):\n" +
			runbook.GateLines(runbook.NotGreen(gates), x.opts.Now())
	default:
		return nil
	}
	x.record(journal.Record{Kind: journal.KindRefused, Step: p.ID, Operator: a.Operator, Reason: reason})
	return &RefusedError{Step: p.ID, Reason: reason}
}

func (x *Executor) journalApproval(p Plan, a Approval, gates []checks.Result) error {
	calls := make([]string, len(p.Calls))
	for i, c := range p.Calls {
		calls[i] = c.Show()
	}
	how := "approved via " + a.Via
	if a.TypedEnv != "" {
		how += fmt.Sprintf(" (typed %q)", a.TypedEnv)
	}
	evidence := runbook.GateLines(gates, x.opts.Now())
	if a.Evidence != "" {
		evidence = strings.TrimSpace(a.Evidence + "\n" + evidence)
	}
	err := x.journal.Append(journal.Record{Kind: journal.KindApproval, Step: p.ID, Operator: a.Operator,
		PID: os.Getpid(), Message: how, Argv: calls, Evidence: evidence})
	if err != nil {
		return fmt.Errorf("journaling approval: %w", err)
	}
	if runbook.AllGreen(gates) {
		return nil
	}
	if err := x.journal.Append(journal.Record{Kind: journal.KindOverride, Step: p.ID, Operator: a.Operator,
		Reason: a.OverrideReason, Evidence: runbook.GateLines(gates, x.opts.Now())}); err != nil {
		return fmt.Errorf("journaling override: %w", err)
	}
	return nil
}

// runStep runs one sub-step: intent, call or act, post-verification,
// outcome. It reports whether the sub-step reached its observed target.
//
// A sub-step whose target is already observed is not applied again (each
// mode change is a restart, and the Rust runtime keeps runs in memory): its
// outcome says "already in place". An actuator that fails or times out may
// still have made its change (a deploy that lands after the CLI gave up), so
// the world is observed until verify_timeout either way, and the outcome
// says what the world shows. A forward step passes its lock's fence just
// before the call: after a rollback took the lock over, no actuator starts.
func (x *Executor) runStep(ctx context.Context, step, operator string, s subStep, progress func(Progress)) (bool, string) {
	started := x.opts.Now()
	report := func(msg string) {
		progress(Progress{Step: step, SubStep: s.name, Message: msg, Started: started, At: x.opts.Now()})
	}
	if ctx.Err() != nil {
		// Never start an actuator (or a write) on a cancelled action.
		return x.notStarted(step, s.name, operator, "interrupted ("+context.Cause(ctx).Error()+")", report)
	}
	if err := x.journalHealthy(step); err != nil {
		return x.notStarted(step, s.name, operator, err.Error(), report)
	}
	if ok, msg := x.inPlace(ctx, x.world.Observe, step, operator, s, report); ok {
		return true, msg
	}
	if err := x.fenced(ctx, step); err != nil {
		return x.notStarted(step, s.name, operator, "interrupted ("+err.Error()+")", report)
	}
	ok, msg, callFailed := x.callStep(ctx, step, operator, s, report)
	return x.observeStep(ctx, x.world.Observe, step, operator, s, started, stepCall{ok, msg, callFailed}, report)
}

// notStarted closes a sub-step that never called its actuator, saying why.
func (x *Executor) notStarted(step, sub, operator, why string, report func(string)) (bool, string) {
	msg := "not started: " + why
	x.recordOutcome(step, sub, operator, false, msg)
	report(msg)
	return false, msg
}

// inPlace is the check before a call: a sub-step whose target a fresh
// observation already shows is not applied again, and its outcome says so.
func (x *Executor) inPlace(ctx context.Context, observe func(context.Context) runbook.State, step, operator string, s subStep, report func(string)) (bool, string) {
	if s.call == nil || s.act != nil || s.verify == nil || s.always {
		return false, ""
	}
	v, ev := s.verify(observe(runbook.WithFreshProbes(ctx)), time.Time{})
	if v != checks.Pass {
		return false, ""
	}
	msg := "already in place: " + ev + " (not applied again)"
	x.recordOutcome(step, s.name, operator, true, msg)
	report(msg)
	return true, msg
}

// stepCall is how a sub-step's call or act ended: ok, its summary and
// output, and why the actuator failed ("" when it did not, or for an act).
type stepCall struct {
	ok         bool
	msg        string
	callFailed string
}

// callStep journals the intent and runs the sub-step's actuator or act.
func (x *Executor) callStep(ctx context.Context, step, operator string, s subStep, report func(string)) (bool, string, string) {
	intent := journal.Record{Kind: journal.KindIntent, Step: step, Check: s.name, Operator: operator}
	if s.call != nil {
		intent.Argv, intent.Message = s.call.Argv, s.call.Description
		if s.call.HTTP != "" {
			intent.Argv = []string{s.call.HTTP}
		}
	}
	x.record(intent)
	report("started")

	ok, msg, callFailed := true, "", ""
	if s.call != nil && s.act == nil {
		r := x.act.Run(ctx, *s.call)
		ok, msg = r.OK(), r.Summary()
		if !ok {
			callFailed = "actuator failed"
			if r.TimedOut {
				callFailed = "actuator timed out"
			}
		}
		// The whole output goes to the journal, success or not (cleaned
		// line by line by the actuator); screens show its first line.
		if strings.TrimSpace(r.Output) != "" {
			msg += "\n" + r.Output
		}
		report(firstLine(msg))
	}
	if s.act != nil {
		ok, msg = s.act(ctx)
		// An act's evidence is one line per check (the write probe's
		// receipt, replay, summary…): show every one, not just the first.
		for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
			report(line)
		}
	}
	return ok, msg, callFailed
}

// observeStep is post-verification and the outcome: after a call that
// succeeded, or failed in a way that may still have made its change, the
// world is observed until verify_timeout, and the outcome says what it
// shows.
func (x *Executor) observeStep(ctx context.Context, observe func(context.Context) runbook.State, step, operator string, s subStep,
	started time.Time, c stepCall, report func(string)) (bool, string) {
	ok, msg := c.ok, c.msg
	if s.verify != nil && (ok || c.callFailed != "") {
		if c.callFailed != "" {
			report("observing whether the change landed anyway (" + c.callFailed + ")")
		}
		vok, ev := x.verify(ctx, observe, s.verify, started, x.world.Env().VerifyTimeout.D(), report)
		switch {
		case vok && c.callFailed != "":
			ev = "applied, " + c.callFailed + ": " + ev
		case !vok && c.callFailed != "":
			ev = c.callFailed + " and the change is not observed: " + ev
		}
		ok = vok
		msg = strings.TrimSpace(ev + "\n" + msg)
	}
	x.recordOutcome(step, s.name, operator, ok, msg)
	if ok {
		report("verified: " + firstLine(msg))
	} else {
		report("FAILED: " + firstLine(msg))
	}
	return ok, msg
}

func (x *Executor) recordOutcome(step, sub, operator string, ok bool, msg string) {
	x.record(journal.Record{Kind: journal.KindOutcome, Step: step, Check: sub, Operator: operator, OK: &ok,
		Evidence: firstLine(msg), Message: msg})
}

// verify polls fresh observations until check passes, fails outright, or
// timeout passes; the last evidence explains the answer.
func (x *Executor) verify(ctx context.Context, observe func(context.Context) runbook.State, check func(runbook.State, time.Time) (checks.Verdict, string),
	since time.Time, timeout time.Duration, report func(string)) (bool, string) {
	deadline := since.Add(timeout)
	for {
		v, ev := check(observe(runbook.WithFreshProbes(ctx)), since)
		switch {
		case v == checks.Pass:
			return true, ev
		case v == checks.Fail:
			return false, ev
		case ctx.Err() != nil:
			return false, fmt.Sprintf("%s (interrupted: %v)", ev, ctx.Err())
		case !x.opts.Now().Before(deadline):
			return false, fmt.Sprintf("%s (not observed within verify_timeout %s)", ev, timeout)
		}
		report("waiting: " + ev)
		if sleep(ctx, x.opts.PollInterval) != nil {
			return false, fmt.Sprintf("%s (interrupted: %v)", ev, ctx.Err())
		}
	}
}

// soak holds a cohort for d while watching the incident criteria: a firing
// incident ends it at once, and it passes only on an observation showing
// every criterion OK (an unknown one proves nothing). When d is over and a
// criterion still cannot tell (a small cohort has not yet served the
// minimum requests its error ratio needs), the soak goes on until it can,
// up to verify_timeout more, and says so.
func (x *Executor) soak(d time.Duration) func(ctx context.Context) (bool, string) {
	return func(ctx context.Context) (bool, string) {
		end := x.opts.Now().Add(d)
		last := end.Add(x.world.Env().VerifyTimeout.D())
		for {
			v, what := runbook.SoakIncidents(x.world.Observe(ctx), x.world.Env().LowTraffic)
			now := x.opts.Now()
			switch {
			case v == checks.Fail:
				return false, "incident " + what + ": rollback recommended"
			case !now.Before(end) && v == checks.Pass:
				return true, fmt.Sprintf("soaked %s, no incident fired", now.Sub(end.Add(-d)).Round(time.Second))
			case !now.Before(last):
				return false, fmt.Sprintf("soak ended %s past its %s with incident criteria %s: holding", now.Sub(end).Round(time.Second), d, what)
			}
			if err := sleep(ctx, x.opts.PollInterval); err != nil {
				return false, "soak interrupted: " + err.Error()
			}
		}
	}
}

// runChecks is P1–P4 and V2–V4: read the item's checks once, mutate nothing.
func (x *Executor) runChecks(ctx context.Context, p Plan, operator string, progress func(Progress)) (Outcome, error) {
	started := x.opts.Now()
	s := x.world.Observe(ctx)
	out := Outcome{Step: p.ID, Verdict: checks.Unknown}
	var lines []string
	for _, st := range s.Items {
		if st.Item == nil || st.Item.ID != p.ID {
			continue
		}
		out.Verdict = st.Verdict
		if len(st.Checks) == 0 {
			out.Verdict = checks.Unknown
		}
		for _, c := range st.Checks {
			line := c.ID + " " + c.Line(x.opts.Now())
			lines = append(lines, line)
			x.record(journal.Record{Kind: journal.KindVerdict, Step: p.ID, Check: c.ID, Verdict: c.Verdict.String(),
				Evidence: c.Evidence.String()})
			progress(Progress{Step: p.ID, SubStep: c.ID, Message: line, Started: started})
		}
	}
	out.OK = out.Verdict.Green()
	out.Message = fmt.Sprintf("%s %s", p.ID, out.Verdict)
	if len(lines) > 0 {
		out.Message += ":\n" + strings.Join(lines, "\n")
	}
	// The check's answer is history too: production's S4 waits for
	// staging's V2–V4 to have passed after S1.
	x.recordOutcome(p.ID, "", operator, out.OK, firstLine(out.Message))
	return out, nil
}

// journalHealthy is the safe point's question to the journal: a forward
// sub-step whose journal has lost a record (a full or read-only state disk)
// does not start, so nothing acts that nobody can audit. A rollback goes on
// whatever the journal says: its journal has a fallback.
func (x *Executor) journalHealthy(step string) error {
	if step == runbook.RollbackID {
		return nil
	}
	return x.journal.Err()
}

// record journals a best-effort line: the action has already started, and
// a journal failure must not stop a rollback half-way.
func (x *Executor) record(r journal.Record) {
	if err := x.journal.Append(r); err != nil && !errors.Is(err, os.ErrClosed) {
		x.opts.Logger.Error("journal append failed", "kind", r.Kind, "step", r.Step, "err", err)
	}
}

func (x *Executor) now() time.Time { return x.opts.Now() }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
