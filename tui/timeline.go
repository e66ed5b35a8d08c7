package tui

import (
	"fmt"
	"strings"

	"github.com/openagents/cockpit/journal"
)

// timelineKeep bounds how many journal records the screen holds.
const timelineKeep = 200

// timeline shows the journal's newest records, newest last: history, not
// truth, so it is drawn muted next to the observed panes.
type timeline struct {
	c       *common
	records []journal.Record
	err     error
	width   int
	height  int
}

func newTimeline(c *common) *timeline { return &timeline{c: c} }

// SetSize sets the pane's box.
func (t *timeline) SetSize(w, h int) { t.width, t.height = w, h }

// SetRecords takes a fresh read of the journal. A torn last line still
// leaves every good record shown, with the error noted.
func (t *timeline) SetRecords(recs []journal.Record, err error) {
	if len(recs) > timelineKeep {
		recs = recs[len(recs)-timelineKeep:]
	}
	if recs != nil || err == nil {
		t.records = recs
	}
	t.err = err
}

// View renders the last records that fit.
func (t *timeline) View() []string {
	st := t.c.styles
	lines := []string{st.Title.Render("TIMELINE")}
	rows := max(t.height-1, 0)
	if t.err != nil {
		lines = append(lines, st.Warn.Render("journal: "+t.err.Error()))
		rows--
	}
	if len(t.records) == 0 && t.err == nil {
		lines = append(lines, st.Muted.Render("no journal entries yet"))
	}
	start := max(len(t.records)-rows, 0)
	for _, r := range t.records[start:] {
		lines = append(lines, t.line(r))
	}
	return block(lines, t.width, t.height)
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
	text := r.Message
	if r.Reason != "" {
		text = strings.TrimSpace(text + " reason: " + r.Reason)
	}
	if text == "" {
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
