package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/runbook"
)

// Model is the root of the screen. It routes each message by its type to
// the parts that take it (component), keys to whichever has the keyboard,
// sizes to every part; it never reads or writes a part's fields. State
// changes only in Update, which also draws the frame; View hands it over.
type Model struct {
	c        *common
	base     context.Context
	actor    Actor
	operator string
	mask     func(string) string // Options.Mask, nil: nothing to hide

	keys    KeyMap
	confirm ConfirmKeyMap
	menu    MenuKeyMap
	help    help.Model

	obs      *observer
	state    runbook.State
	panes    *livePanes
	list     *runbookList
	evidence *evidenceView
	timeline *timeline
	replay   *replayer // nil outside a replay

	dialog       *confirmDialog
	faults       *faultMenu // nil outside rehearsal
	action       *runningAction
	planning     string // the action being planned, "" when none
	askAbandon   bool
	showHelp     bool
	showTimeline bool // the whole timeline, scrollable, takes the body
	showEvidence bool // the selected item's evidence beside (or instead of) the list
	status       string
	quitting     bool

	width, height int

	// cancelGuard is Options.CancelGuard (the key c).
	cancelGuard func(reason string) error
	// cancelAsk is the reason prompt c opened, nil when closed.
	cancelAsk *cancelPrompt

	// frame is the screen as the last message left it, drawn at the end
	// of Update; View only hands it to the renderer. A round's tick changes
	// nothing shown and draws nothing: drawn again then, every age would
	// read a second older until the round lands a moment later, two
	// redraws a second for nothing.
	frame string

	// started and painted time the first full paint (docs/design.md §9:
	// ≤ 100 ms, ≤ 1 s on a terminal that never answers a query), logged
	// once so operators and the bench can see it.
	started time.Time
	painted bool
}

// New builds the root model. Run calls it; tests call it directly to drive
// Update with constructed states.
func New(ctx context.Context, o Options) (*Model, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.applyDefaults()
	if o.Mode == Replay {
		o.Now = utc(o.Now)
	}
	c := &common{
		styles: NewStyles(o.Profile, true), profile: o.Profile, now: o.Now, env: o.Env, production: o.Production,
		mode: o.Mode, staleAfter: o.StaleAfter, refresh: o.Refresh, probeEvery: runbook.ProbeEvery(o.Refresh, o.StaleAfter), signals: o.Signals, logger: o.Logger, timeline: o.Timeline, redact: o.Redact,
		guardCountdown: o.GuardCountdown,
	}
	m := &Model{
		c: c, base: ctx, actor: o.Actor, operator: o.Operator, mask: o.Mask,
		keys: DefaultKeyMap(o.Mode == Rehearsal), confirm: DefaultConfirmKeyMap(), menu: DefaultMenuKeyMap(),
		help:    newHelp(c.styles),
		obs:     &observer{src: o.Observer, base: ctx, timeout: o.ObserveTimeout, refresh: o.Refresh},
		panes:   newLivePanes(c),
		started: o.Now(),
	}
	if o.JournalPath != "" {
		m.obs.journal = newJournalWindow(o.JournalPath, o.Shared)
	}
	m.cancelGuard = o.CancelGuard
	m.keys.CancelGuard.SetEnabled(o.CancelGuard != nil && o.Mode != Watch)
	m.list = newRunbookList(c, &m.keys)
	m.evidence = newEvidenceView(c, &m.keys)
	m.timeline = newTimeline(c, &m.keys)
	if o.Mode == Rehearsal {
		m.faults = newFaultMenu(c, m.menu, ctx, o)
	}
	if o.Mode == Replay {
		m.replay = newReplayer(c, &m.keys, o.Playback)
	}
	m.frame = m.screen()
	return m, nil
}

// Init starts the first observation round, reads the journal, asks the
// terminal for its background colour and starts the parts. Nothing waits
// for that answer: the screen is drawn in the dark palette until it comes
// (setBackground).
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.firstRound(), tea.RequestBackgroundColor,
		m.panes.Init(), m.list.Init(), m.evidence.Init(), m.timeline.Init()}
	if m.faults != nil {
		cmds = append(cmds, m.faults.Init())
	}
	return tea.Batch(cmds...)
}

// Update routes one message, then draws the frame it leaves (but for a
// round's tick, which changes nothing shown). The clock is read once, here,
// for everything the message changes and the frame shows (common.at).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, tick := msg.(tickMsg); tick {
		return m, m.obs.start()
	}
	m.c.at = m.clock()
	cmd := m.route(msg)
	if m.showEvidence {
		m.evidence.Update(evidenceMsg{Item: m.list.SelectedStatus()})
	}
	m.draw()
	return m, cmd
}

// route hands a message to the parts that take it.
func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		m.paste(msg)
	case tea.BackgroundColorMsg:
		m.setBackground(msg)
	case StateMsg:
		return m.handleState(msg)
	case guardCancelMsg:
		m.handleGuardCancel(msg)
	case journalReadMsg:
		return m.handleJournal(msg)
	case journalMsg:
		m.timeline.Update(msg)
		m.evidence.Update(msg) // the evidence view's full actuator output
	case planMsg:
		return m.handlePlan(msg)
	case progressMsg:
		return m.handleProgress(msg)
	case outcomeMsg:
		return m.handleOutcome(msg)
	case faultMsg:
		if m.faults != nil {
			m.faults.Update(msg)
		}
	case replayRoundMsg:
		return m.handleReplayRound(msg)
	case replayTickMsg, replayMarksMsg:
		if m.replay != nil {
			_, cmd := m.replay.Update(msg)
			return cmd
		}
	case forceQuitMsg:
		m.quitting = true
		return tea.Quit
	}
	// progressClosedMsg, confirmReadyMsg: nothing changes but the frame
	// (the dialog's keys line now offers confirming).
	return nil
}

func (m *Model) handleState(msg StateMsg) tea.Cmd {
	ok, next := m.obs.accept(msg)
	if !ok {
		m.c.logger.Debug("dropped a stale observation", "seq", msg.Seq, "current", m.obs.seq)
		return nil
	}
	m.state = msg.State
	m.panes.Update(msg)
	m.list.Update(msg)
	if m.dialog != nil {
		m.dialog.Update(msg)
	}
	return next
}

// handleJournal applies a journal read, if it is the newest, and hands the
// window to the timeline and the evidence view.
func (m *Model) handleJournal(msg journalReadMsg) tea.Cmd {
	if m.obs.journal == nil {
		return nil
	}
	window, ok, next := m.obs.journal.apply(msg)
	if !ok {
		m.c.logger.Debug("dropped a stale journal read", "seq", msg.Seq)
		return nil
	}
	m.c.noteGuard(msg)
	m.route(window)
	return next
}

// setBackground redraws the screen in the palette for the terminal's
// background, once the terminal has said what it is.
func (m *Model) setBackground(msg tea.BackgroundColorMsg) {
	m.c.styles = NewStyles(m.c.profile, msg.IsDark())
	m.help = newHelp(m.c.styles)
	m.help.SetWidth(m.width)
	m.panes.Update(msg)
}

// Running reports whether an action is in progress (for tests and the footer).
func (m *Model) Running() bool { return m.action != nil }
