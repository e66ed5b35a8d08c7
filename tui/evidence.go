package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// evidenceView is the selected item's checks, one self-explaining line
// each, wrapped and scrollable inside its pane. Each line is said for a
// person (what was seen, against what rule, how old); the query, URL or
// file it came from is one key (s) away.
type evidenceView struct {
	c           *common
	pane        scrollPane
	showSources bool
	shownID     string
	// outputs is, per step, the newest journaled outcome whose message runs
	// to more lines than one (an actuator's output): the progress line and
	// the timeline show its first line, this view the rest.
	outputs map[string]journal.Record
}

func newEvidenceView(c *common) *evidenceView {
	return &evidenceView{c: c, pane: newScrollPane(), outputs: map[string]journal.Record{}}
}

// SetSize sets the pane's box.
func (e *evidenceView) SetSize(w, h int) { e.pane.SetSize(w, h) }

// SetJournal keeps each step's newest multi-line outcome.
func (e *evidenceView) SetJournal(recs []journal.Record) {
	clear(e.outputs)
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && strings.Contains(strings.TrimSpace(r.Message), "\n") {
			e.outputs[r.Step] = r
		}
	}
}

// View renders the item's evidence; another item starts at the top.
func (e *evidenceView) View(it runbook.ItemStatus, now time.Time) []string {
	st := e.c.styles
	if it.Item == nil {
		return block([]string{st.Title.Render("EVIDENCE"), st.Stale.Render("waiting for the first observation…")}, e.pane.width, e.pane.height)
	}
	if it.Item.ID != e.shownID {
		e.shownID = it.Item.ID
		e.pane.vp.GotoTop()
	}
	lines := e.lines(it, now)
	for i, l := range lines {
		// Sources are URLs, errors quote them: hidden before the pane
		// wraps a line, which could cut a secret in two.
		lines[i] = e.c.hide(l)
	}
	e.pane.SetLines(lines)
	hint := "s sources"
	if e.showSources {
		hint = "s hide sources"
	}
	title := st.Title.Render("EVIDENCE "+it.Item.ID+" "+it.Item.Title) + st.Muted.Render(" · e close · "+hint)
	return e.pane.View(title, st)
}

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
