package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// evidenceView is the selected item's checks, one self-explaining line
// each, wrapped and scrollable inside its pane. Each line is said for a
// person (what was seen, against what rule, how old); the query, URL or
// file it came from is one key (s) away. The lines are built in Update
// and wrapped only when they or the width change, not on every frame.
type evidenceView struct {
	c           *common
	keys        *KeyMap
	pane        scrollPane
	showSources bool
	shownID     string   // the item shown, "" before the first round
	title       string   // its title line
	shown       []string // its lines as last wrapped, before wrapping
	// view is the pane drawn when its lines, scroll or size last changed:
	// a frame that changes none of them draws nothing here again.
	view string
	// outputs is, per step, the newest journaled outcome whose message runs
	// to more lines than one (an actuator's output): the progress line and
	// the timeline show its first line, this view the rest.
	outputs map[string]journal.Record
	// confirmed is, per step, its newest approval and the override that
	// came with it, if any: the gates as the confirm dialog showed them
	// (a replay shows them as they stood at its clock).
	confirmed map[string][]journal.Record
}

// evidenceMsg is the item the evidence shows, as the list has it now: the
// root sends it while the view is open, with every message that may change
// what it says (a round, the cursor, a key, the clock of the frame).
type evidenceMsg struct{ Item runbook.ItemStatus }

func newEvidenceView(c *common, k *KeyMap) *evidenceView {
	return &evidenceView{c: c, keys: k, pane: newScrollPane(), outputs: map[string]journal.Record{}, confirmed: map[string][]journal.Record{}}
}

// Init starts nothing: the view waits for an item.
func (e *evidenceView) Init() tea.Cmd { return nil }

// SetSize sets the pane's box and wraps the lines to it.
func (e *evidenceView) SetSize(w, h int) {
	e.pane.SetSize(w, h)
	e.pane.SetLines(e.shown)
	e.render()
}

// Update takes the item to show (evidenceMsg), the journal's outputs
// (journalMsg) and the view's keys: s for sources, pgup/pgdn to scroll.
func (e *evidenceView) Update(msg tea.Msg) (*evidenceView, tea.Cmd) {
	switch msg := msg.(type) {
	case evidenceMsg:
		e.show(msg.Item)
	case journalMsg:
		e.SetJournal(msg.Records)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, e.keys.Sources):
			e.showSources = !e.showSources
		case key.Matches(msg, e.keys.PageUp):
			e.pane.Page(-1)
		case key.Matches(msg, e.keys.PageDown):
			e.pane.Page(1)
		}
		e.render()
	}
	return e, nil
}

// ShortHelp is the view's keys.
func (e *evidenceView) ShortHelp() []key.Binding {
	return []key.Binding{e.keys.Evidence, e.keys.Sources, e.keys.PageUp, e.keys.PageDown}
}

// FullHelp is the view's keys.
func (e *evidenceView) FullHelp() [][]key.Binding { return [][]key.Binding{e.ShortHelp()} }

// SetJournal keeps each step's newest multi-line outcome, and its newest
// approval with its override.
func (e *evidenceView) SetJournal(recs []journal.Record) {
	clear(e.outputs)
	clear(e.confirmed)
	for _, r := range recs {
		switch {
		case r.Kind == journal.KindOutcome && strings.Contains(strings.TrimSpace(r.Message), "\n"):
			e.outputs[r.Step] = r
		case r.Kind == journal.KindApproval:
			e.confirmed[r.Step] = []journal.Record{r}
		case r.Kind == journal.KindOverride && len(e.confirmed[r.Step]) == 1:
			e.confirmed[r.Step] = append(e.confirmed[r.Step], r)
		}
	}
}

// confirmLines are the gates as the step's newest confirm dialog showed
// them, who approved, and the override's reason.
func confirmLines(c *common, recs []journal.Record) []string {
	st := c.styles
	a := recs[0]
	out := []string{"", st.Title.Render("GATES AT CONFIRM "+a.Time.In(c.now().Location()).Format("15:04:05")) +
		st.Muted.Render(" · approved by "+a.Operator+" · "+safetext.Clean(a.Message))}
	for _, line := range strings.Split(strings.TrimSpace(safetext.CleanLines(a.Evidence)), "\n") {
		out = append(out, "  "+line)
	}
	if len(recs) > 1 {
		out = append(out, st.Warn.Render("  overridden: "+safetext.Clean(recs[1].Reason)))
	}
	return out
}

// show builds the item's lines at the frame's clock; another item starts
// at the top. Lines equal to those shown are not wrapped again.
func (e *evidenceView) show(it runbook.ItemStatus) {
	st := e.c.styles
	if it.Item == nil {
		e.shownID, e.title, e.shown = "", "", nil
		e.render()
		return
	}
	if it.Item.ID != e.shownID {
		e.shownID, e.shown = it.Item.ID, nil
		e.pane.vp.GotoTop()
	}
	lines := e.lines(it, e.c.at)
	for i, l := range lines {
		// Sources are URLs, errors quote them: hidden before the pane
		// wraps a line, which could cut a secret in two.
		lines[i] = e.c.hide(l)
	}
	hint := "s sources"
	if e.showSources {
		hint = "s hide sources"
	}
	title := st.Title.Render("EVIDENCE "+it.Item.ID+" "+it.Item.Title) + st.Muted.Render(" · e close · "+hint)
	if e.shown == nil || !slices.Equal(lines, e.shown) {
		e.shown = lines
		e.pane.SetLines(lines)
		e.view = ""
	}
	if e.view == "" || title != e.title {
		e.title = title
		e.render()
	}
}

// render draws the pane as it now stands.
func (e *evidenceView) render() {
	st := e.c.styles
	if e.shownID == "" {
		e.view = strings.Join(block([]string{st.Title.Render("EVIDENCE"), st.Stale.Render("waiting for the first observation…")}, e.pane.width, e.pane.height), "\n")
		return
	}
	e.view = strings.Join(e.pane.View(e.title, st), "\n")
}

// View is the item's evidence as Update left it.
func (e *evidenceView) View() string { return e.view }

func (e *evidenceView) lines(it runbook.ItemStatus, now time.Time) []string {
	st := e.c.styles
	var out []string
	if it.Item.Text != "" {
		for _, l := range strings.Split(strings.TrimSpace(it.Item.Text), "\n") {
			out = append(out, st.Muted.Render(strings.TrimSpace(l)))
		}
		out = append(out, "")
	}
	if it.Awaits != "" {
		out = append(out, st.Muted.Render("awaits "+it.Awaits+": the verdicts below are today's, not a failure"))
	}
	if it.NotApplicable != "" {
		out = append(out, st.Muted.Render("n/a: "+it.NotApplicable+": the verdicts below are today's, not a failure"))
	}
	if p := it.Progress; p.State != "" {
		out = append(out, "progress: "+string(p.State)+progressWhen(e.c, p)+detailOf(p))
	}
	// A step not run is not failing: its target state, observed now, is
	// shown without the colour of a verdict.
	notRun := it.Progress.State == runbook.NotRun
	if notRun && len(it.Checks) > 0 {
		out = append(out, st.Muted.Render("its target state, as observed now (the step has not run):"))
	}
	for _, r := range it.Checks {
		style := st.Verdict(r.Verdict)
		if notRun {
			style = st.Muted
		}
		out = append(out, style.Render(verdictSymbol(r.Verdict)+" "+r.Verdict.String())+" "+humanLine(r, now))
		if e.showSources && r.Evidence.Source != "" {
			out = append(out, st.Muted.Render("    source: "+r.Evidence.Source))
		}
	}
	if len(it.Checks) == 0 {
		out = append(out, st.Stale.Render("no checks observed: UNKNOWN"))
	}
	if recs, ok := e.confirmed[it.Item.ID]; ok {
		out = append(out, confirmLines(e.c, recs)...)
	}
	if r, ok := e.outputs[it.Item.ID]; ok {
		// Journal records are cleaned when read; cleaning again keeps this
		// view safe whatever fed it, and keeps every line.
		out = append(out, "", st.Title.Render("OUTPUT "+strings.TrimSpace(it.Item.ID+" "+safetext.Clean(r.Check))+" "+
			r.Time.In(e.c.now().Location()).Format("15:04:05")))
		for _, line := range strings.Split(strings.TrimSpace(safetext.CleanLines(r.Message)), "\n") {
			out = append(out, "  "+line)
		}
	}
	return out
}

// humanLine is a verdict said for a person: what it is about, what was
// seen, the rule, and how old the data is. The source is left out.
func humanLine(r checks.Result, now time.Time) string {
	ev := r.Evidence
	value := ev.Value
	if value == "" {
		value = "no value"
	}
	line := strings.TrimSpace(r.Title+": ") + " " + value
	if ev.Reason != "" {
		line += " (" + ev.Reason + ")"
	}
	if ev.Rule != "" {
		line += " · rule: " + ev.Rule
	}
	return fmt.Sprintf("%s · age %s", line, ageText(r.Age(now)))
}

// progressWhen is " at 14:03 by alice" for a step that ran.
func progressWhen(c *common, p runbook.StepProgress) string {
	if p.At.IsZero() {
		return ""
	}
	return " at " + p.At.In(c.now().Location()).Format("15:04") + by(p.Operator)
}

func detailOf(p runbook.StepProgress) string {
	if p.Detail == "" {
		return ""
	}
	return ": " + oneLine(p.Detail)
}
