package executor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
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
	bw := bufio.NewWriter(w)
	tw, err := NewTimelineWriter(bw, env, format)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := tw.Write(r); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// TimelineWriter is RenderTimeline one record at a time, so a timeline of
// any length is written as it is read, never held whole.
type TimelineWriter struct {
	w      io.Writer
	format string
	enc    *json.Encoder
}

// NewTimelineWriter starts a timeline in format (the markdown heading and
// table header go out at once); an unknown format writes nothing.
func NewTimelineWriter(w io.Writer, env, format string) (*TimelineWriter, error) {
	tw := &TimelineWriter{w: w, format: format}
	switch format {
	case TimelineJSON:
		tw.enc = json.NewEncoder(w)
	case TimelineMarkdown:
		_, err := fmt.Fprintf(w, "# Cutover timeline: %s\n\n| time (UTC) | step | event | who | what |\n|---|---|---|---|---|\n", env)
		return tw, err
	case TimelineText, "":
	default:
		return nil, fmt.Errorf("unknown timeline format %q (want text, markdown or json)", format)
	}
	return tw, nil
}

// Write adds one record to the timeline.
func (tw *TimelineWriter) Write(r journal.Record) error {
	var err error
	switch tw.format {
	case TimelineJSON:
		err = tw.enc.Encode(r)
	case TimelineMarkdown:
		_, err = fmt.Fprintf(tw.w, "| %s | %s | %s | %s | %s |\n", r.Time.UTC().Format(time.RFC3339), cell(r.Step),
			cell(r.Kind), cell(r.Operator), cell(TimelineSummary(r)))
	default:
		_, err = fmt.Fprintf(tw.w, "%s  %-8s %-9s %-10s %s\n", r.Time.UTC().Format(time.RFC3339), r.Step, r.Kind, r.Operator, TimelineSummary(r))
	}
	return err
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
	if u := runbook.Unverified(r); u != "" {
		s = u + ": " + r.Shared.Problem + ": " + s
	}
	return firstLine(s)
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
