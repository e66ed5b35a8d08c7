package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/runbook"
)

// Model is the root of the screen. It routes: keys to the focused component,
// data messages to their owner, sizes to every pane. The work is in the panes.
type Model struct {
	c        *common
	base     context.Context
	actor    Actor
	operator string
	faultsFn func(context.Context, string, bool) error
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

	dialog        *confirmDialog
	faults        *faultMenu
	faultsVisible bool
	action        *runningAction
	planning      string // the action being planned, "" when none
	askAbandon    bool
	showHelp      bool
	showTimeline  bool // the whole timeline, scrollable, takes the body
	showEvidence  bool // the selected item's evidence beside (or instead of) the list
	status        string
	quitting      bool

	width, height int

	// frame is the last frame drawn; current is false once a message may
	// have changed what it shows. A round's tick changes nothing shown:
	// drawn again then, every age would read a second older until the
	// round lands a moment later, two redraws a second for nothing.
	frame   string
	current bool

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
	c := &common{
		styles: NewStyles(o.Profile, true), profile: o.Profile, now: o.Now, env: o.Env, production: o.Production,
		mode: o.Mode, staleAfter: o.StaleAfter, refresh: o.Refresh, probeEvery: runbook.ProbeEvery(o.Refresh, o.StaleAfter), signals: o.Signals, logger: o.Logger, timeline: o.Timeline, redact: o.Redact,
	}
	m := &Model{
		c: c, base: ctx, actor: o.Actor, operator: o.Operator, faultsFn: o.Faults, mask: o.Mask,
		keys: DefaultKeyMap(o.Mode == Rehearsal), confirm: DefaultConfirmKeyMap(), menu: DefaultMenuKeyMap(),
		help: newHelp(c.styles),
		obs: &observer{src: o.Observer, base: ctx, timeout: o.ObserveTimeout, refresh: o.Refresh,
			journalPath: o.JournalPath, shared: o.Shared},
		panes:    newLivePanes(c),
		timeline: newTimeline(c),
		evidence: newEvidenceView(c),
		started:  o.Now(),
	}
	m.list = newRunbookList(c, &m.keys)
	if o.Mode == Rehearsal {
		m.faults = newFaultMenu(c, m.menu, o.FaultNames, o.Faults)
	}
	return m, nil
}

// Init starts the first observation round, reads the journal and asks the
// terminal for its background colour. Nothing waits for that answer: the
// screen is drawn in the dark palette until it comes (setBackground).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.obs.start(), m.obs.readJournal(), tea.RequestBackgroundColor)
}

// Update routes one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, tick := msg.(tickMsg); !tick {
		m.current = false
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		m.paste(msg.Content)
		return m, nil
	case tea.BackgroundColorMsg:
		m.setBackground(msg.IsDark())
		return m, nil
	case StateMsg:
		return m, m.handleState(msg)
	case tickMsg:
		return m, m.obs.start()
	case journalMsg:
		m.timeline.SetRecords(msg.Records, msg.Err)
		m.evidence.SetJournal(msg.Records) // the evidence view's full actuator output
		return m, nil
	case planMsg:
		return m, m.handlePlan(msg)
	case progressMsg:
		return m, m.handleProgress(msg)
	case progressClosedMsg:
		return m, nil
	case outcomeMsg:
		return m, m.handleOutcome(msg)
	case faultMsg:
		m.faults.Result(msg)
		return m, nil
	case confirmReadyMsg:
		return m, nil // redrawn: the dialog's keys line now offers confirming
	case forceQuitMsg:
		m.quitting = true
		return m, tea.Quit
	}
	return m, nil
}

func (m *Model) handleState(msg StateMsg) tea.Cmd {
	ok, next := m.obs.accept(msg)
	if !ok {
		m.c.logger.Debug("dropped a stale observation", "seq", msg.Seq, "current", m.obs.seq)
		return nil
	}
	m.state = msg.State
	m.panes.SetState(msg.State)
	m.list.SetItems(msg.State.Items)
	if m.dialog != nil {
		m.dialog.refreshGates(msg.State)
	}
	return next
}

// setBackground redraws the screen in the palette for the terminal's
// background, once the terminal has said what it is.
func (m *Model) setBackground(dark bool) {
	m.c.styles = NewStyles(m.c.profile, dark)
	m.help = newHelp(m.c.styles)
	m.help.SetWidth(m.width)
	m.panes.Restyle()
}

// Running reports whether an action is in progress (for tests and the footer).
func (m *Model) Running() bool { return m.action != nil }
