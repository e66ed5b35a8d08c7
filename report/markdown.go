package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/internal/age"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// action is one step as the journal tells it: approved, run, finished.
type action struct {
	step       string
	start, end time.Time
	ok         *bool
	operator   string
	approvals  []journal.Record
	overrides  []journal.Record
	subSteps   []journal.Record // outcomes of its sub-steps (R1…R4 of a rollback)
	outcome    string
}

// actions pairs the journal's approvals, intents and outcomes by step, in
// the order they started; refused is every refusal.
func actions(recs []journal.Record) (acts []*action, refused []journal.Record) {
	open := map[string]*action{}
	get := func(r journal.Record) *action {
		a := open[r.Step]
		if a == nil {
			a = &action{step: r.Step, start: r.Time, operator: r.Operator}
			open[r.Step] = a
			acts = append(acts, a)
		}
		return a
	}
	for _, r := range recs {
		switch {
		case r.Step == "":
		case r.Kind == journal.KindRefused:
			refused = append(refused, r)
		case r.Kind == journal.KindApproval:
			a := get(r)
			a.approvals = append(a.approvals, r)
		case r.Kind == journal.KindOverride:
			a := get(r)
			a.overrides = append(a.overrides, r)
		case r.Kind == journal.KindIntent:
			get(r)
		case r.Kind == journal.KindOutcome && r.Check != "":
			a := get(r)
			a.subSteps = append(a.subSteps, r)
		case r.Kind == journal.KindOutcome:
			a := get(r)
			a.end, a.ok, a.outcome = r.Time, r.OK, r.Message
			delete(open, r.Step)
		}
	}
	return acts, refused
}

// writeMarkdown writes report.md.
func writeMarkdown(w io.Writer, d *data, charts []string, now time.Time) error {
	b := &strings.Builder{}
	acts, refused := actions(d.records)
	span := d.span()
	fmt.Fprintf(b, "# Post-mortem: %s, %s to %s (UTC)\n\n", cmp.Or(d.env, "?"), stamp(span[0]), stamp(span[1]))
	fmt.Fprintf(b, "Written %s from the journal (%d records in the window) and the recording (%d rounds%s).\n\n",
		stamp(now), len(d.records), d.rounds, sessionList(d.sessions))
	writeSummary(b, acts, refused, d.firings)
	writeGates(b, acts)
	writeIncidents(b, d.firings)
	writeCharts(b, charts)
	writeNotes(b, d.notes)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return executor.RenderTimeline(w, cmp.Or(d.env, "?"), d.records, executor.TimelineMarkdown)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func sessionList(s map[string]int) string {
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(s)) {
		parts = append(parts, fmt.Sprintf("%d by %s", s[p], p))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func writeSummary(b *strings.Builder, acts []*action, refused []journal.Record, firings []Firing) {
	b.WriteString("## Summary\n\n### What ran\n\n")
	if len(acts) == 0 {
		b.WriteString("No action was run in the window.\n")
	}
	for _, a := range acts {
		fmt.Fprintf(b, "- **%s** %s\n", a.step, actionLine(a))
		for _, ap := range a.approvals {
			fmt.Fprintf(b, "  - approved by %s at %s (%s)\n", cmp.Or(ap.Operator, "?"), clock(ap.Time), oneLine(ap.Message))
		}
		for _, ov := range a.overrides {
			fmt.Fprintf(b, "  - **override** by %s at %s, reason: %s\n", cmp.Or(ov.Operator, "?"), clock(ov.Time), quoted(ov.Reason))
		}
		for _, s := range a.subSteps {
			// The headline only: the actuator's whole output stays in the
			// journal and the rollback's artifacts.
			headline, _, _ := strings.Cut(s.Message, "\n")
			fmt.Fprintf(b, "  - %s %s at %s: %s\n", s.Check, okWord(s.OK), clock(s.Time), oneLine(headline))
		}
	}
	for _, r := range refused {
		fmt.Fprintf(b, "- %s refused at %s: %s\n", r.Step, clock(r.Time), oneLine(r.Reason))
	}
	writeRollback(b, acts)
	b.WriteString("\n### Incidents\n\n")
	if len(firings) == 0 {
		b.WriteString("No incident criterion fired in the window.\n")
	}
	for _, f := range firings {
		fmt.Fprintf(b, "- **%s** fired %s\n", f.Key, span(f))
	}
	b.WriteString("\n")
}

func actionLine(a *action) string {
	who := ""
	if a.operator != "" {
		who = " by " + a.operator
	}
	if a.end.IsZero() {
		return fmt.Sprintf("started %s%s, no outcome in the window (still running, or interrupted)", clock(a.start), who)
	}
	return fmt.Sprintf("%s%s, %s to %s (%s): %s", okWord(a.ok), who, clock(a.start), clock(a.end),
		age.Format(a.end.Sub(a.start)), oneLine(a.outcome))
}

// writeRollback says how long each rollback took, or that none ran.
func writeRollback(b *strings.Builder, acts []*action) {
	b.WriteString("\n### Rollback\n\n")
	n := 0
	for _, a := range acts {
		if a.step != runbook.RollbackID {
			continue
		}
		n++
		if a.end.IsZero() {
			fmt.Fprintf(b, "- the rollback started at %s has no outcome in the window\n", clock(a.start))
			continue
		}
		fmt.Fprintf(b, "- the rollback started at %s took **%s** and ended %s\n", clock(a.start), age.Format(a.end.Sub(a.start)), okWord(a.ok))
	}
	if n == 0 {
		b.WriteString("No rollback ran in the window.\n")
	}
}

// writeGates shows each approval with the gates the operator saw when
// they confirmed: what was green, what was not and was overridden.
func writeGates(b *strings.Builder, acts []*action) {
	var shown bool
	for _, a := range acts {
		for _, ap := range a.approvals {
			if ap.Evidence == "" {
				continue
			}
			if !shown {
				b.WriteString("## The gates each approval saw\n\n")
				shown = true
			}
			fmt.Fprintf(b, "### %s, approved by %s at %s\n\n%s\n", a.step, cmp.Or(ap.Operator, "?"), clock(ap.Time), fence(ap.Evidence))
		}
	}
}

func writeIncidents(b *strings.Builder, firings []Firing) {
	if len(firings) == 0 {
		return
	}
	b.WriteString("## Incidents\n\n")
	for _, f := range firings {
		fmt.Fprintf(b, "### %s: %s\n\nFired %s.", f.Key, f.Title, span(f))
		if f.Rule != "" {
			fmt.Fprintf(b, " Criterion: `%s`.", f.Rule)
		}
		if f.HasPeak {
			fmt.Fprintf(b, " Worst value: %g.", f.Peak)
		}
		fmt.Fprintf(b, "\n\nEvidence when it started firing:\n\n%s\n", fence(f.First))
		if f.Last != f.First {
			fmt.Fprintf(b, "Evidence when it last fired:\n\n%s\n", fence(f.Last))
		}
	}
}

func writeCharts(b *strings.Builder, charts []string) {
	if len(charts) == 0 {
		return
	}
	b.WriteString("## Signals\n\n")
	for _, name := range charts {
		fmt.Fprintf(b, "![%s](charts/%s.svg)\n\n", name, name)
	}
}

func writeNotes(b *strings.Builder, notes []string) {
	if len(notes) == 0 {
		return
	}
	b.WriteString("## What the report could not read\n\n")
	for _, n := range notes {
		fmt.Fprintf(b, "- %s\n", oneLine(n))
	}
	b.WriteString("\n")
}

// span is when a firing started, ended and how long it lasted.
func span(f Firing) string {
	if f.End.IsZero() {
		return fmt.Sprintf("from %s, still firing at the window's end", clock(f.Start))
	}
	return fmt.Sprintf("from %s to %s (%s)", clock(f.Start), clock(f.End), age.Format(f.End.Sub(f.Start)))
}

func clock(t time.Time) string { return t.UTC().Format(time.TimeOnly) }

func okWord(ok *bool) string {
	switch {
	case ok == nil:
		return "(no verdict)"
	case *ok:
		return "OK"
	}
	return "FAILED"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

func quoted(s string) string {
	if s == "" {
		return "(none given)"
	}
	return "“" + oneLine(s) + "”"
}

// fence is s in a code block no line of s can close.
func fence(s string) string {
	if s == "" {
		s = "(none recorded)"
	}
	marks := "```"
	for strings.Contains(s, marks) {
		marks += "`"
	}
	return marks + "\n" + s + "\n" + marks + "\n"
}
