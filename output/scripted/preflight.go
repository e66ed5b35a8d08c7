package scripted

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/output"
)

// PreflightReport is what preflight found: -o json prints it as it is.
type PreflightReport struct {
	Env     string                    `json:"env"`
	OK      bool                      `json:"ok"`
	Error   string                    `json:"error,omitempty"`
	Queries []metrics.PreflightResult `json:"queries"`

	problems, warnings int
}

// Preflight is the report of env's queries, tried at the Prometheus at
// promURL within deadline: an unanswered query is counted and said once.
func Preflight(env, promURL string, results []metrics.PreflightResult, deadline time.Duration) PreflightReport {
	rep := PreflightReport{Env: env, Queries: results}
	unanswered := 0
	for _, r := range rep.Queries {
		switch {
		case r.Unanswered:
			unanswered++
			rep.problems++
		case !r.OK:
			rep.problems++
		case len(r.Warnings) > 0:
			rep.warnings++
		}
	}
	if unanswered > 0 {
		rep.Error = fmt.Sprintf("Prometheus at %s did not answer %d of %d queries within %s (the preflight deadline): is it up and reachable, and is prometheus.url its API's base URL?",
			promURL, unanswered, len(rep.Queries), deadline)
	}
	rep.OK = rep.problems == 0
	return rep
}

// PreflightFormats are what preflight prints, by -o.
var PreflightFormats = output.Registry[func(w io.Writer, p output.Painter, rep PreflightReport) error]{
	output.Text: writePreflightText,
	output.JSON: func(w io.Writer, _ output.Painter, rep PreflightReport) error { return output.WriteJSON(w, rep) },
}

// writePreflightText prints one line per query (an unanswered one is said
// once, at the end), then the counts.
func writePreflightText(w io.Writer, p output.Painter, rep PreflightReport) error {
	for _, r := range rep.Queries {
		if r.Unanswered {
			continue // said once, below
		}
		word, v := "OK", okVerdict(r.OK)
		detail := fmt.Sprintf("%d series", r.Series)
		switch {
		case r.OK && r.Note != "":
			detail = r.Note
		case !r.OK:
			word, detail = "PROBLEM", r.Problem
		case len(r.Warnings) > 0:
			word, v, detail = "WARN", checks.Warn, detail+"; "+strings.Join(r.Warnings, "; ")
		}
		name := r.Signal
		if r.Kind == "volume_query" {
			name += " (volume)"
		}
		fmt.Fprintf(w, "%s %s — %s — %s\n", p.Verdict(v, fmt.Sprintf("%-7s", word)), name, detail, r.Query)
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "%s %s\n", p.Verdict(checks.Unknown, fmt.Sprintf("%-7s", "PROBLEM")), rep.Error)
	}
	fmt.Fprintf(w, "%s: %d queries, %d with a problem, %d with a warning\n", rep.Env, len(rep.Queries), rep.problems, rep.warnings)
	return nil
}

func okVerdict(ok bool) checks.Verdict {
	if ok {
		return checks.Pass
	}
	return checks.Fail
}
