package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// runbookList is the runbook's items with their live verdicts, a cursor,
// and the selected item's evidence one key away.
type runbookList struct {
	c            *common
	keys         *KeyMap
	items        []runbook.ItemStatus
	cursor       int
	offset       int // first visible row
	showEvidence bool
	width        int
	height       int
	// outputs is, per step, the newest journaled outcome whose message runs
	// to more lines than one (an actuator's output): the progress line and
	// the timeline show its first line, the evidence view the rest.
	outputs map[string]journal.Record
}

func newRunbookList(c *common, k *KeyMap) *runbookList { return &runbookList{c: c, keys: k} }

// SetSize sets the list's box, evidence panel included.
func (l *runbookList) SetSize(w, h int) { l.width, l.height = w, h }

// SetItems takes the round's items, keeping the cursor on the same item ID.
func (l *runbookList) SetItems(items []runbook.ItemStatus) {
	sel := l.Selected()
	l.items = items
	l.cursor = 0
	for i, it := range items {
		if sel != nil && it.Item != nil && it.Item.ID == sel.ID {
			l.cursor = i
		}
	}
}

// SetJournal takes a fresh read of the journal and keeps each step's newest
// multi-line outcome for the evidence view.
func (l *runbookList) SetJournal(recs []journal.Record) {
	l.outputs = map[string]journal.Record{}
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && strings.Contains(strings.TrimSpace(r.Message), "\n") {
			l.outputs[r.Step] = r
		}
	}
}

// Selected is the item under the cursor, nil before the first round.
func (l *runbookList) Selected() *runbook.Item {
	if l.cursor < len(l.items) {
		return l.items[l.cursor].Item
	}
	return nil
}

// Update moves the cursor and toggles the evidence panel.
func (l *runbookList) Update(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, l.keys.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(msg, l.keys.Down):
		l.cursor = min(l.cursor+1, max(len(l.items)-1, 0))
	case key.Matches(msg, l.keys.Evidence):
		l.showEvidence = !l.showEvidence
	}
	return nil
}

// View renders the title, the visible rows and, when open, the evidence.
func (l *runbookList) View(now time.Time) []string {
	st := l.c.styles
	lines := []string{st.Title.Render("RUNBOOK")}
	var evidence []string
	if l.showEvidence {
		evidence = l.evidence(now)
		evidence = evidence[:min(len(evidence), max(l.height-2, 0))]
	}
	rows := max(l.height-1-len(evidence), 1)
	l.scrollTo(rows)
	for i := l.offset; i < len(l.items) && i < l.offset+rows; i++ {
		lines = append(lines, l.row(i))
	}
	if len(l.items) == 0 {
		lines = append(lines, st.Stale.Render("waiting for the first observation…"))
	}
	for len(lines) < 1+rows {
		lines = append(lines, "")
	}
	return block(append(lines, evidence...), l.width, l.height)
}

func (l *runbookList) scrollTo(rows int) {
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+rows {
		l.offset = l.cursor - rows + 1
	}
}

func (l *runbookList) row(i int) string {
	st := l.c.styles
	it := l.items[i]
	mark := "  "
	if i == l.cursor {
		mark = st.Focused.Render("▶ ")
	}
	v := st.Verdict(it.Verdict).Render(fmt.Sprintf("%s %-7s", verdictSymbol(it.Verdict), it.Verdict))
	title := it.Item.ID + " " + it.Item.Title
	if p := it.Progress; p.State != "" {
		// A step shows its progress from the journal: not run is neutral,
		// never red; red is a run that failed. Whether its target state is
		// observed is in the evidence view.
		v, title = l.progressCell(p), title+l.progressNote(p)
	}
	if it.Awaits != "" {
		// A check that cannot hold before its cutover step is not red:
		// neutral, saying what it waits for (the evidence view has its
		// current verdict).
		v = st.Muted.Render(fmt.Sprintf("· %-7s", "AWAITS"))
		title += st.Muted.Render(" (awaits " + it.Awaits + ")")
	}
	if i == l.cursor {
		title = st.Selected.Render(title)
	}
	return mark + v + " " + title
}

// progressCell is a step's progress in the verdict column.
func (l *runbookList) progressCell(p runbook.StepProgress) string {
	st := l.c.styles
	switch p.State {
	case runbook.Done:
		return st.OK.Render(fmt.Sprintf("✔ %-7s", "DONE"))
	case runbook.Running:
		return st.Warn.Render(fmt.Sprintf("… %-7s", "RUNNING"))
	case runbook.Failed:
		return st.Crit.Render(fmt.Sprintf("✘ %-7s", "FAILED"))
	case runbook.Interrupted:
		return st.Crit.Render(fmt.Sprintf("! %-7s", "STOPPED"))
	default:
		return st.Muted.Render(fmt.Sprintf("· %-7s", "NOT RUN"))
	}
}

// progressNote says when and by whom a step last ran.
func (l *runbookList) progressNote(p runbook.StepProgress) string {
	if p.At.IsZero() {
		return ""
	}
	who := ""
	if p.Operator != "" {
		who = " by " + p.Operator
	}
	return l.c.styles.Muted.Render(fmt.Sprintf(" (%s %s%s)", p.State, p.At.In(l.c.now().Location()).Format("15:04"), who))
}

// evidence is the selected item's checks, one self-explaining line each.
func (l *runbookList) evidence(now time.Time) []string {
	st := l.c.styles
	if l.cursor >= len(l.items) {
		return nil
	}
	it := l.items[l.cursor]
	out := []string{st.Title.Render("EVIDENCE " + it.Item.ID)}
	if it.Item.Text != "" {
		out = append(out, st.Muted.Render(it.Item.Text))
	}
	for _, r := range it.Checks {
		out = append(out, st.Verdict(r.Verdict).Render(verdictSymbol(r.Verdict))+" "+r.Line(now))
	}
	if len(it.Checks) == 0 {
		out = append(out, st.Stale.Render("no checks observed: UNKNOWN"))
	}
	if r, ok := l.outputs[it.Item.ID]; ok {
		// Journal records are cleaned when read; cleaning again keeps this
		// view safe whatever fed it, and keeps every line.
		out = append(out, st.Title.Render("OUTPUT "+strings.TrimSpace(it.Item.ID+" "+safetext.Clean(r.Check))+" "+
			r.Time.In(l.c.now().Location()).Format("15:04:05")))
		for _, line := range strings.Split(strings.TrimSpace(safetext.CleanLines(r.Message)), "\n") {
			out = append(out, "  "+line)
		}
	}
	return out
}
