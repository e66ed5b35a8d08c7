package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/runbook"
)

// runbookList is the runbook's items with their live verdicts and a
// cursor; the selected item's evidence is one key away (evidenceView). Its
// title line (the phase) is the root's: the list draws the rows below it.
type runbookList struct {
	c      *common
	keys   *KeyMap
	items  []runbook.ItemStatus
	cursor int
	offset int // first visible row
	width  int
	height int // rows, the title not counted
}

func newRunbookList(c *common, k *KeyMap) *runbookList { return &runbookList{c: c, keys: k} }

// Init starts nothing: the list waits for the first round.
func (l *runbookList) Init() tea.Cmd { return nil }

// SetSize sets the rows' box (the title line above it not counted).
func (l *runbookList) SetSize(w, h int) {
	l.width, l.height = w, h
	l.scrollTo()
}

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
	l.scrollTo()
}

// Selected is the item under the cursor, nil before the first round.
func (l *runbookList) Selected() *runbook.Item {
	return l.SelectedStatus().Item
}

// SelectedStatus is the item under the cursor with its verdicts.
func (l *runbookList) SelectedStatus() runbook.ItemStatus {
	if l.cursor < len(l.items) {
		return l.items[l.cursor]
	}
	return runbook.ItemStatus{}
}

// Update takes a round (StateMsg) or moves the cursor.
func (l *runbookList) Update(msg tea.Msg) (*runbookList, tea.Cmd) {
	switch msg := msg.(type) {
	case StateMsg:
		l.SetItems(msg.State.Items)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, l.keys.Up):
			l.cursor = max(l.cursor-1, 0)
		case key.Matches(msg, l.keys.Down):
			l.cursor = min(l.cursor+1, max(len(l.items)-1, 0))
		}
		l.scrollTo()
	}
	return l, nil
}

// ShortHelp is the list's keys.
func (l *runbookList) ShortHelp() []key.Binding { return []key.Binding{l.keys.Up, l.keys.Down} }

// FullHelp is the list's keys.
func (l *runbookList) FullHelp() [][]key.Binding { return [][]key.Binding{l.ShortHelp()} }

// View renders the visible rows.
func (l *runbookList) View() string {
	var lines []string
	for i := l.offset; i < len(l.items) && i < l.offset+l.rows(); i++ {
		lines = append(lines, l.row(i))
	}
	if len(l.items) == 0 {
		lines = append(lines, l.c.styles.Stale.Render("waiting for the first observation…"))
	}
	return strings.Join(block(lines, l.width, l.height), "\n")
}

func (l *runbookList) rows() int { return max(l.height, 1) }

// scrollTo keeps the cursor visible and never leaves empty rows below the
// last item while items above are hidden (a taller terminal shows them).
func (l *runbookList) scrollTo() {
	rows := l.rows()
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+rows {
		l.offset = l.cursor - rows + 1
	}
	l.offset = max(min(l.offset, len(l.items)-rows), 0)
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
	if it.NotApplicable != "" {
		// The cutover it verifies was undone: neither red nor green.
		v = st.Muted.Render(fmt.Sprintf("· %-7s", "N/A"))
		title += st.Muted.Render(" (n/a: " + it.NotApplicable + ")")
	}
	if i == l.cursor {
		title = st.Selected.Render(title)
	}
	return mark + v + " " + title
}

// progressCell is a step's progress in the verdict column.
func (l *runbookList) progressCell(p runbook.StepProgress) string {
	st := l.c.styles
	word := p.State.Word() // the journal's verdict changes say the same
	switch p.State {
	case runbook.Done:
		return st.OK.Render(fmt.Sprintf("✔ %-7s", word))
	case runbook.Running:
		return st.Warn.Render(fmt.Sprintf("… %-7s", word))
	case runbook.Failed:
		return st.Crit.Render(fmt.Sprintf("✘ %-7s", word))
	case runbook.Interrupted:
		return st.Crit.Render(fmt.Sprintf("! %-7s", word))
	default: // not run, queued: neutral
		return st.Muted.Render(fmt.Sprintf("· %-7s", word))
	}
}

// progressNote says when and by whom a step last ran.
func (l *runbookList) progressNote(p runbook.StepProgress) string {
	if p.At.IsZero() {
		return ""
	}
	// The cell says the state; the note says when and by whom.
	return l.c.styles.Muted.Render(" (" + p.At.In(l.c.now().Location()).Format("15:04") + by(p.Operator) + ")")
}
