// Package tui is the cockpit's terminal screen: live panes, the runbook list
// with its evidence, incidents, the journal's timeline and confirm-gated
// actions. The root model routes; the panes work. Every call to the world
// runs in a tea.Cmd and comes back as one typed message.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
)

// Observer reads where the cutover stands; the runbook engine implements it.
type Observer interface {
	Observe(ctx context.Context) runbook.State
}

// Actor is the one door for mutations; the runbook executor implements it.
// It is nil in watch mode: no executor exists in that process.
type Actor interface {
	Plan(ctx context.Context, id string) (executor.Plan, error)
	Execute(ctx context.Context, p executor.Plan, a executor.Approval, progress func(executor.Progress)) (executor.Outcome, error)
}

// Mode is what the screen may do.
type Mode int

// Modes. Watch can never act; Rehearsal acts against the simulated world and
// adds the instructor's fault menu.
const (
	Operate Mode = iota
	Watch
	Rehearsal
	// Replay shows a recording (Options.Playback): it observes nothing and
	// never acts.
	Replay
)

func (m Mode) String() string {
	return [...]string{"OPERATE", "WATCH", "REHEARSAL", "REPLAY"}[m]
}

// Options configure the screen. Observer is required; Actor is required to
// act and must be nil in Watch mode.
type Options struct {
	Env        string
	Production bool
	Mode       Mode
	Operator   string
	Observer   Observer
	Actor      Actor
	// Refresh is the observe tick; ObserveTimeout bounds each round (default Refresh).
	Refresh, ObserveTimeout time.Duration
	// StaleAfter is the data age past which a pane shows STALE.
	StaleAfter  time.Duration
	JournalPath string
	// Shared is what other machines published to the shared timeline:
	// their actions show in the timeline beside this machine's.
	Shared *runbook.SharedFeed
	// Timeline is why this cockpit's shared timeline does not do its job
	// ("not published: permission denied"), "" while it does; the header
	// says so (optional).
	Timeline func() string
	// Signals colour pane values by their thresholds (optional).
	Signals map[string]*config.Signal
	// Faults toggles a rehearsal fault, one of FaultNames; used only in
	// Rehearsal mode.
	Faults     func(ctx context.Context, name string, on bool) error
	FaultNames []string
	// FaultHelp says what each fault does, shown beside its name in the
	// instructor's menu (optional; plain text, as sandbox.FaultHelp has it).
	FaultHelp map[string]string
	Now       func() time.Time
	Input     io.Reader
	Output    io.Writer
	// Profile pins the colour profile (tests pin colorprofile.NoTTY: no
	// escape of the screen's own); unset, the program detects it from
	// Output and the environment, NO_COLOR included.
	Profile colorprofile.Profile
	Logger  *slog.Logger
	// Redact hides the config's secrets in text drawn where it is wrapped
	// (the evidence view), before a secret can be cut in two; Output hides
	// them too, but only whole. Default: journal.Redact's patterns only.
	Redact func(string) string
	// Mask hides the config's secrets in each whole frame, keeping every
	// column where it is (journal.Redactor.Mask), before the renderer sees
	// it. The renderer writes only the cells that changed, so a secret can
	// reach the terminal in pieces that a writer masking each write would
	// not recognise; masked in the frame, no piece of it is ever drawn.
	// Optional.
	Mask func(string) string
	// Playback is the recording Replay mode plays back, in place of the
	// Observer and the journal's file.
	Playback *Playback
	// CancelGuard journals a cancel of the guard's countdown (`cockpit
	// guard` reads it from the journal and answers there), with why; the
	// key c calls it. nil: c is not bound (watch, no guard).
	CancelGuard func(reason string) error
	// GuardCountdown is the environment's guard countdown, so the header
	// counts a journaled countdown down to the second.
	GuardCountdown time.Duration
}

func (o *Options) validate() error {
	switch {
	case o.Mode == Replay && (o.Playback == nil || o.Playback.Rounds == nil || o.Playback.Rounds.Len() == 0):
		return errors.New("tui: replay mode needs a recording with at least one round")
	case o.Mode == Replay && (o.Actor != nil || o.Observer != nil):
		return errors.New("tui: replay mode takes neither an observer nor an actor: it shows the recording")
	case o.Mode == Replay:
		return nil
	case o.Observer == nil:
		return errors.New("tui: an observer is required")
	case o.Mode == Watch && o.Actor != nil:
		return errors.New("tui: watch mode must not be given an actor")
	case o.Mode != Watch && o.Actor == nil:
		return fmt.Errorf("tui: %s mode needs an actor", o.Mode)
	case o.Mode == Rehearsal && (o.Faults == nil || len(o.FaultNames) == 0):
		return errors.New("tui: rehearsal mode needs a fault switch and the faults' names")
	}
	return nil
}

func (o *Options) applyDefaults() {
	if o.Refresh <= 0 {
		o.Refresh = time.Second
	}
	if o.ObserveTimeout <= 0 {
		o.ObserveTimeout = o.Refresh
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 3 * o.Refresh
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
