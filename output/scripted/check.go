package scripted

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
)

// CheckLine is one check as scripted mode prints it.
type CheckLine struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Verdict  string   `json:"verdict"`
	Evidence string   `json:"evidence"`
	Age      *float64 `json:"age_seconds"` // null when never observed
	// Awaits names the cutover step a verification item waits for: its
	// verdict is AWAITS and it does not count toward the exit code.
	Awaits string `json:"awaits,omitempty"`
	// NotApplicable says why a verification item does not apply now
	// ("rolled back"): its verdict is N/A and it does not count either.
	NotApplicable string      `json:"not_applicable,omitempty"`
	Details       []CheckLine `json:"details,omitempty"`

	verdict checks.Verdict
}

// Counts is the verdict the line adds to the exit code: an AWAITS or N/A
// line counts as PASS, unless it holds (done but not yet proven: PENDING).
func (l CheckLine) Counts() checks.Verdict { return l.verdict }

// CheckReport is what check prints: -o json prints it as it is.
type CheckReport struct {
	Env     string      `json:"env"`
	Verdict string      `json:"verdict"`
	Checks  []CheckLine `json:"checks"`

	overall checks.Verdict
}

// Check is the report of one observed round over kinds, in that order,
// with the verdicts that count toward the exit code.
func Check(st runbook.State, kinds []runbook.Kind) (CheckReport, []checks.Verdict) {
	rep := CheckReport{Env: st.Env}
	var vs []checks.Verdict
	for _, k := range kinds {
		for _, l := range LinesOf(st, k) {
			rep.Checks = append(rep.Checks, l)
			vs = append(vs, l.verdict)
		}
	}
	rep.overall = checks.Worst(vs...)
	rep.Verdict = rep.overall.String()
	return rep, vs
}

// LinesOf renders the items of one kind, or the incident criteria.
func LinesOf(st runbook.State, k runbook.Kind) []CheckLine {
	var out []CheckLine
	if k == runbook.Incident {
		for _, inc := range st.Incidents {
			v := inc.State.Verdict()
			age := time.Duration(-1) // never observed
			if !inc.At.IsZero() {
				age = max(st.At.Sub(inc.At), 0)
			}
			out = append(out, CheckLine{ID: inc.Runbook, Title: inc.Title + " (" + inc.ID + ")",
				Verdict: v.String(), Evidence: inc.Evidence, Age: ageSeconds(age), verdict: v})
		}
		return out
	}
	for _, is := range st.Items {
		if is.Item.Kind != k {
			continue
		}
		sum := is.Summary(st.At)
		l := resultLine(sum, st.At)
		for _, c := range is.Checks {
			l.Details = append(l.Details, resultLine(c, st.At))
		}
		if is.Awaits != "" {
			// Not run yet is not failed: the line says what it waits for
			// and does not fail the exit code; it holds it only when the
			// cutover is done and V1's write probe has yet to prove it.
			l.Verdict, l.Awaits, l.verdict = "AWAITS", is.Awaits, checks.Pass
			if is.AwaitHolds() {
				l.verdict = checks.Pending // done but not yet proven: hold (exit 2)
			}
			l.Evidence = fmt.Sprintf("awaits %s (now: %s %s)", is.Awaits, sum.Verdict, sum.Evidence)
		}
		if is.NotApplicable != "" {
			// A rolled-back cutover has nothing to verify: said, not failed.
			l.Verdict, l.NotApplicable, l.verdict = "N/A", is.NotApplicable, checks.Pass
			l.Evidence = fmt.Sprintf("n/a: %s (now: %s %s)", is.NotApplicable, sum.Verdict, sum.Evidence)
		}
		out = append(out, l)
	}
	return out
}

func resultLine(r checks.Result, now time.Time) CheckLine {
	age := r.Age(now)
	return CheckLine{ID: r.ID, Title: r.Title, Verdict: r.Verdict.String(), Evidence: r.Evidence.String(),
		Age: ageSeconds(age), verdict: r.Verdict}
}

func ageSeconds(d time.Duration) *float64 {
	if d < 0 {
		return nil
	}
	s := math.Round(d.Seconds()*10) / 10
	return &s
}

// CheckFormats are what check prints, by -o.
var CheckFormats = output.Registry[func(w io.Writer, p output.Painter, rep CheckReport) error]{
	output.Text: writeCheckText,
	output.JSON: func(w io.Writer, _ output.Painter, rep CheckReport) error { return output.WriteJSON(w, rep) },
}

// writeCheckText prints one line per check, then the overall verdict.
func writeCheckText(w io.Writer, p output.Painter, rep CheckReport) error {
	for _, l := range rep.Checks {
		writeCheckLine(w, p, l)
	}
	fmt.Fprintf(w, "%s: %s\n", rep.Env, p.Verdict(rep.overall, rep.Verdict))
	return nil
}

// writeCheckLine prints "ID VERDICT title — evidence (age)".
func writeCheckLine(w io.Writer, p output.Painter, l CheckLine) {
	age := "never"
	if l.Age != nil {
		age = checks.FormatAge(time.Duration(*l.Age * float64(time.Second)))
	}
	fmt.Fprintf(w, "%-3s %s %s — %s (%s)\n", l.ID, p.Verdict(l.verdict, fmt.Sprintf("%-7s", l.Verdict)), l.Title, l.Evidence, age)
}
