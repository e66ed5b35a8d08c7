package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// timelineKeep bounds how many journal records the screen holds.
const timelineKeep = 500

// timeline shows the journal: history, not truth, so it is drawn muted next
// to the observed panes. What people did (approvals, overrides, actions,
// their outcomes) and incidents come first, one row each, newest last;
// verdict changes fold into one row per check ("P3 UNKNOWN → PASS 04:06"),
// so a flapping check cannot push the operator's own actions away.
type timeline struct {
	c       *common
	keys    *KeyMap
	actions []string // rendered rows, newest last
	folded  []string // one row per check, in first-seen order
	err     error
	width   int
	height  int
	// full is the scrollable whole-body view (t); the side column shows
	// the newest rows that fit.
	full       scrollPane
	followTail bool
	expanded   bool // View is the full view, not the side column
	// seen identifies the records last drawn: a round's read that brings
	// nothing new (the common case) draws nothing again.
	seen recordsKey
}

// recordsKey tells one read of the journal from the next without keeping
// the records: how many, and the newest.
type recordsKey struct {
	n                          int
	at                         time.Time
	kind, step, check, message string
	err                        string
}

func keyOf(recs []journal.Record, err error) recordsKey {
	k := recordsKey{n: len(recs)}
	if len(recs) > 0 {
		r := recs[len(recs)-1]
		k.at, k.kind, k.step, k.check, k.message = r.Time, r.Kind, r.Step, r.Check, r.Message
	}
	if err != nil {
		k.err = err.Error()
	}
	return k
}

func newTimeline(c *common, k *KeyMap) *timeline {
	return &timeline{c: c, keys: k, full: newScrollPane(), followTail: true}
}

// Init starts nothing: the journal is read by the root's observer.
func (t *timeline) Init() tea.Cmd { return nil }

// Update takes the journal's window (journalMsg) and, in the full view,
// the scroll keys: a line or a page at a time.
func (t *timeline) Update(msg tea.Msg) (*timeline, tea.Cmd) {
	switch msg := msg.(type) {
	case journalMsg:
		t.SetRecords(msg.Records, msg.Err)
	case tea.KeyPressMsg:
		if !t.expanded {
			break
		}
		page := max(t.full.height-2, 1)
		switch {
		case key.Matches(msg, t.keys.Up):
			t.Scroll(-1)
		case key.Matches(msg, t.keys.Down):
			t.Scroll(1)
		case key.Matches(msg, t.keys.PageUp):
			t.Scroll(-page)
		case key.Matches(msg, t.keys.PageDown):
			t.Scroll(page)
		}
	}
	return t, nil
}

// Expand makes View the whole timeline, scrollable (t), or the side column.
func (t *timeline) Expand(on bool) { t.expanded = on }

// View is the side column, or the full view when expanded.
func (t *timeline) View() string {
	if t.expanded {
		return strings.Join(t.fullView(), "\n")
	}
	return strings.Join(t.side(), "\n")
}

// ShortHelp is the timeline's keys.
func (t *timeline) ShortHelp() []key.Binding {
	return []key.Binding{t.keys.Timeline, t.keys.Up, t.keys.Down, t.keys.PageUp, t.keys.PageDown}
}

// FullHelp is the timeline's keys.
func (t *timeline) FullHelp() [][]key.Binding { return [][]key.Binding{t.ShortHelp()} }

// SetSize sets the side column's box.
func (t *timeline) SetSize(w, h int) { t.width, t.height = w, h }

// SetFullSize sets the whole-body view's box.
func (t *timeline) SetFullSize(w, h int) {
	t.full.SetSize(w, h)
	t.full.SetLines(t.fullLines())
}

// SetRecords takes a fresh read of the journal. A torn last line still
// leaves every good record shown, with the error noted.
func (t *timeline) SetRecords(recs []journal.Record, err error) {
	k := keyOf(recs, err)
	if k == t.seen && k.n > 0 {
		return
	}
	t.seen = k
	t.err = err
	if recs == nil && err != nil {
		return
	}
	if len(recs) > timelineKeep {
		recs = recs[len(recs)-timelineKeep:]
	}
	t.actions, t.folded = t.actions[:0], t.folded[:0]
	var order []string
	changes := map[string]*verdictChanges{}
	incidents := map[string]string{} // incident → its last verdict
	for _, r := range recs {
		if r.Kind != journal.KindVerdict {
			t.actions = append(t.actions, t.line(r))
			continue
		}
		if incidentNews(incidents, r) {
			// News gets its own row above, and its fold still ends on
			// it: "I2 ok → firing", never a stale "unknown → ok".
			t.actions = append(t.actions, t.line(r))
		}
		vc, ok := changes[r.Check]
		if !ok {
			vc = &verdictChanges{check: r.Check}
			changes[r.Check] = vc
			order = append(order, r.Check)
		}
		vc.add(r)
	}
	for _, id := range order {
		t.folded = append(t.folded, changes[id].line(t.c))
	}
	atBottom := t.full.vp.AtBottom()
	t.full.SetLines(t.fullLines())
	if t.followTail || atBottom {
		t.full.vp.GotoBottom()
	}
}

// incidentCheck tells an incident's verdict record ("I2 write_error_spike",
// "W exactly_one_writer") from an item's ("P3") or a probe's.
func incidentCheck(check string) bool {
	id, _, found := strings.Cut(check, " ")
	return found && (id == "W" || strings.HasPrefix(id, "I"))
}

// incidentNews reports whether an incident's verdict record is news for
// the timeline's first part: pending, firing, or back to ok from either.
// An incident read ok (every process journals that at its start) folds
// with the other verdict changes. last remembers each incident's verdict.
func incidentNews(last map[string]string, r journal.Record) bool {
	if !incidentCheck(r.Check) {
		return false
	}
	prev := last[r.Check]
	last[r.Check] = r.Verdict
	switch r.Verdict {
	case "pending", "firing":
		return true
	case "ok":
		return prev == "pending" || prev == "firing"
	}
	return false
}

// verdictChanges folds one check's verdict records into one row.
type verdictChanges struct {
	check    string
	verdicts []string
	last     journal.Record
}

func (v *verdictChanges) add(r journal.Record) {
	if n := len(v.verdicts); n == 0 || v.verdicts[n-1] != r.Verdict {
		v.verdicts = append(v.verdicts, r.Verdict)
	}
	v.last = r
}

// line is "P3 UNKNOWN → PASS 14:06:43", with how many changes when more
// than the two shown.
func (v *verdictChanges) line(c *common) string {
	shown := v.verdicts[max(len(v.verdicts)-2, 0):]
	text := fmt.Sprintf("%s %s %s", v.check, strings.Join(shown, " → "), v.last.Time.In(c.now().Location()).Format("15:04:05"))
	if n := len(v.verdicts) - 1; n > 1 {
		text += fmt.Sprintf(" (%d changes)", n)
	}
	return c.styles.Muted.Render(text)
}

// sections are the two parts under their titles.
func (t *timeline) fullLines() []string {
	st := t.c.styles
	lines := []string{}
	if t.err != nil {
		lines = append(lines, st.Warn.Render("journal: "+t.err.Error()))
	}
	if len(t.actions) == 0 {
		lines = append(lines, st.Muted.Render("no actions journaled yet"))
	}
	lines = append(lines, t.actions...)
	if len(t.folded) > 0 {
		lines = append(lines, st.Title.Render("VERDICT CHANGES"))
		lines = append(lines, t.folded...)
	}
	return lines
}

// side renders the side column: the newest actions that fit, then as many
// folded verdict rows as a third of the column holds.
func (t *timeline) side() []string {
	st := t.c.styles
	lines := []string{st.Title.Render("TIMELINE") + st.Muted.Render(" · t to scroll")}
	rows := max(t.height-1, 0)
	if t.err != nil {
		lines = append(lines, st.Warn.Render("journal: "+t.err.Error()))
		rows--
	}
	folded := t.folded[max(len(t.folded)-rows/3, 0):]
	if len(folded) > 0 && rows/3 > 0 {
		rows -= len(folded) + 1
	} else {
		folded = nil
	}
	if len(t.actions) == 0 {
		lines = append(lines, st.Muted.Render("no actions journaled yet"))
		rows--
	}
	lines = append(lines, t.actions[max(len(t.actions)-max(rows, 0), 0):]...)
	if len(folded) > 0 {
		lines = append(lines, st.Title.Render("VERDICT CHANGES"))
		lines = append(lines, folded...)
	}
	return block(lines, t.width, t.height)
}

// fullView is the whole timeline, scrollable.
func (t *timeline) fullView() []string {
	return t.full.View(t.c.styles.Title.Render("TIMELINE")+t.c.styles.Muted.Render(" · t close · ↑/↓ pgup/pgdn scroll"), t.c.styles)
}

// Scroll moves the full view; scrolling up stops following new records.
func (t *timeline) Scroll(n int) {
	t.full.Scroll(n)
	t.followTail = t.full.vp.AtBottom()
}

func (t *timeline) line(r journal.Record) string {
	st := t.c.styles
	what := []string{r.Kind}
	for _, s := range []string{r.Step, r.Check, r.Verdict} {
		if s != "" {
			what = append(what, s)
		}
	}
	if r.Operator != "" && personal(r.Kind) {
		what = append(what, "by "+r.Operator)
	}
	if u := runbook.Unverified(r); u != "" {
		what = append(what, u) // never believed: the engine left it out
	}
	text := r.Message
	if r.Reason != "" {
		text = strings.TrimSpace(text + " reason: " + r.Reason)
	}
	if text == "" && r.Kind != journal.KindVerdict {
		// An incident's evidence carries its query: one key away (e on I*).
		text = r.Evidence
	}
	// A multi-line message (an actuator's output) is one row here, its
	// whole text in the evidence view.
	line := fmt.Sprintf("%s %s %s", st.Muted.Render(r.Time.In(t.c.now().Location()).Format("15:04:05")), strings.Join(what, " "), oneLine(text))
	if r.OK != nil && !*r.OK {
		return st.Crit.Render(line)
	}
	return line
}

// personal reports whether a record kind is a person's decision, the only
// rows where the operator is news. Every record carries the session's
// operator; on a verdict it would read as if someone had judged it.
func personal(kind string) bool {
	switch kind {
	case journal.KindSession, journal.KindApproval, journal.KindOverride, journal.KindRefused, journal.KindIntent:
		return true
	}
	return false
}
