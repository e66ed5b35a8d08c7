package runbook

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openagents/cockpit/journal"
)

// Timeline formats.
const (
	TimelineText     = "text"
	TimelineMarkdown = "markdown"
	TimelineJSON     = "json"
)

// RenderTimeline writes the journal as a timeline: aligned lines (text), a
// table for an incident document (markdown) or one JSON record per line
// (json). Times are UTC so a timeline reads the same in every timezone.
func RenderTimeline(w io.Writer, env string, recs []journal.Record, format string) error {
	switch format {
	case TimelineJSON:
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case TimelineMarkdown:
		var b strings.Builder
		fmt.Fprintf(&b, "# Cutover timeline: %s\n\n", env)
		b.WriteString("| time (UTC) | step | event | who | what |\n|---|---|---|---|---|\n")
		for _, r := range recs {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Time.UTC().Format(time.RFC3339), cell(r.Step),
				cell(r.Kind), cell(r.Operator), cell(TimelineSummary(r)))
		}
		_, err := io.WriteString(w, b.String())
		return err
	case TimelineText, "":
		var b strings.Builder
		for _, r := range recs {
			fmt.Fprintf(&b, "%s  %-8s %-9s %-10s %s\n", r.Time.UTC().Format(time.RFC3339), r.Step, r.Kind, r.Operator, TimelineSummary(r))
		}
		_, err := io.WriteString(w, b.String())
		return err
	default:
		return fmt.Errorf("unknown timeline format %q (want text, markdown or json)", format)
	}
}

// TimelineSummary is what one record says, on one line.
func TimelineSummary(r journal.Record) string {
	var s string
	switch r.Kind {
	case journal.KindIntent:
		s = strings.TrimSpace(r.Check + ": " + strings.Join(r.Argv, " "))
	case journal.KindOutcome:
		state := "FAILED"
		if r.OK != nil && *r.OK {
			state = "ok"
		}
		s = strings.TrimSpace(strings.Join([]string{state, r.Check, firstLine(r.Message)}, " "))
	case journal.KindVerdict:
		s = fmt.Sprintf("%s %s %s", r.Check, r.Verdict, r.Evidence)
	case journal.KindOverride:
		s = "override: " + r.Reason
	case journal.KindRefused:
		s = "refused: " + firstLine(r.Reason)
	default:
		s = firstLine(r.Message)
	}
	if u := Unverified(r); u != "" {
		s = u + ": " + r.Shared.Problem + ": " + s
	}
	return firstLine(s)
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
