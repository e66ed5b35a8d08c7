package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
)

// readFlags are the flags of the read-only verbs (check, status, preflight).
type readFlags struct {
	config, env, output string
}

func (f *readFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVarP(&f.output, "output", "o", "text", "output: text or json")
	completeConfigFlags(c)
}

// observeOnce is how check starts: build the engine and observe one round
// (status builds its engine itself, to ask about the shared timeline beside
// the round). A signal (the program's context cancelled) ends it at once
// with a message and exit 2, whatever the round is still waiting on: a
// round cut short verified nothing, so no report of it is printed.
func observeOnce(ctx context.Context, s *Streams, f *readFlags) (runbook.State, error) {
	fac, e, err := openEngine(s, f)
	if err != nil {
		return runbook.State{}, err
	}
	defer fac.Close()
	done := make(chan runbook.State, 1)
	go func() { done <- e.Observe(ctx) }()
	select {
	case st := <-done:
		if ctx.Err() == nil {
			return st, nil
		}
	case <-ctx.Done():
	}
	return runbook.State{}, withCode(exitUnknown, fmt.Errorf("interrupted (%v): nothing was verified, hold", context.Cause(ctx)))
}

// openEngine asks the factory for a read-only engine: no executor, no
// actuator, no lock exists in a process that only reads (factory.Read).
// Close the factory when done.
func openEngine(s *Streams, f *readFlags) (*factory.Factory, *runbook.Engine, error) {
	fac := factory.New(s, f.config, f.env, factory.Read)
	e, err := fac.Engine()
	if err != nil {
		fac.Close()
		return nil, nil, withCode(exitUsage, err)
	}
	return fac, e, nil
}

func newCheckCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f readFlags
	c := &cobra.Command{
		Use:   "check preconditions|verify|incidents|all --env E [-o text|json]",
		Short: "Evaluate runbook checks once and exit with their verdict",
		Long: "check observes the environment once and prints one line per check:\n" +
			"preconditions (P1–P4), verify (V1–V4, the safe probes only: nothing is written),\n" +
			"incidents (the configured criteria I1–I3) or all of them.\n" +
			"Exit codes: 0 every check PASS (or WARN), 1 a check FAILED or an incident fires,\n" +
			"2 a check is UNKNOWN, PENDING or stale and none failed (hold), 4 usage or config error.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("check needs what to check: preconditions, verify, incidents or all")
			}
			return nil
		},
		ValidArgs: []string{"preconditions", "verify", "incidents", "all"},
		RunE: func(_ *cobra.Command, args []string) error {
			return runCheck(ctx, s, &f, args[0])
		},
	}
	f.register(c)
	return c
}

// checkLine is one check as scripted mode prints it.
type checkLine struct {
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
	Details       []checkLine `json:"details,omitempty"`

	verdict checks.Verdict
	age     time.Duration
}

type checkReport struct {
	Env     string      `json:"env"`
	Verdict string      `json:"verdict"`
	Checks  []checkLine `json:"checks"`
}

func runCheck(ctx context.Context, s *Streams, f *readFlags, set string) error {
	var kinds []runbook.Kind
	switch set {
	case "preconditions":
		kinds = []runbook.Kind{runbook.Precondition}
	case "verify":
		kinds = []runbook.Kind{runbook.Verification}
	case "incidents":
		kinds = []runbook.Kind{runbook.Incident}
	case "all":
		kinds = []runbook.Kind{runbook.Precondition, runbook.Verification, runbook.Incident}
	default:
		return usageError("check %q: want preconditions, verify, incidents or all", set)
	}
	write, err := formatter(checkFormats, f.output)
	if err != nil {
		return err
	}
	st, err := observeOnce(ctx, s, f)
	if err != nil {
		return err
	}
	rep := checkReport{Env: st.Env}
	var vs []checks.Verdict
	for _, k := range kinds {
		for _, l := range linesOf(st, k) {
			rep.Checks = append(rep.Checks, l)
			vs = append(vs, l.verdict)
		}
	}
	overall := checks.Worst(vs...)
	rep.Verdict = overall.String()
	if err := write(s, rep, overall); err != nil {
		return err
	}
	return exitFor(vs)
}

// linesOf renders the items of one kind, or the incident criteria.
func linesOf(st runbook.State, k runbook.Kind) []checkLine {
	var out []checkLine
	if k == runbook.Incident {
		for _, inc := range st.Incidents {
			v := inc.State.Verdict()
			age := time.Duration(-1) // never observed
			if !inc.At.IsZero() {
				age = max(st.At.Sub(inc.At), 0)
			}
			out = append(out, checkLine{ID: inc.Runbook, Title: inc.Title + " (" + inc.ID + ")",
				Verdict: v.String(), Evidence: inc.Evidence, Age: ageSeconds(age), verdict: v, age: age})
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

func resultLine(r checks.Result, now time.Time) checkLine {
	age := r.Age(now)
	return checkLine{ID: r.ID, Title: r.Title, Verdict: r.Verdict.String(), Evidence: r.Evidence.String(),
		Age: ageSeconds(age), verdict: r.Verdict, age: age}
}

func ageSeconds(d time.Duration) *float64 {
	if d < 0 {
		return nil
	}
	s := math.Round(d.Seconds()*10) / 10
	return &s
}

// exitFor is the documented exit code of a set of verdicts. WARN does not
// hold: a warning threshold informs, the critical one decides.
func exitFor(vs []checks.Verdict) error {
	hold := len(vs) == 0
	for _, v := range vs {
		switch v {
		case checks.Fail:
			return silentExit(exitCheckFailed)
		case checks.Unknown, checks.Pending:
			hold = true
		}
	}
	if hold {
		return silentExit(exitUnknown)
	}
	return nil
}

// checkFormats are what check prints, by -o.
var checkFormats = output.Registry[func(s *Streams, rep checkReport, overall checks.Verdict) error]{
	output.Text: writeCheckText,
	output.JSON: func(s *Streams, rep checkReport, _ checks.Verdict) error { return output.WriteJSON(s.Out, rep) },
}

// formatter is the verb's formatter for -o name; a name that is no format
// (or one this verb does not print) is a usage error, exit 4, its line the
// same in every verb (output.Registry.Get).
func formatter[F any](r output.Registry[F], name string) (F, error) {
	f, err := r.Get(name)
	if err != nil {
		return f, withCode(exitUsage, err)
	}
	return f, nil
}

// writeCheckText prints one line per check, then the overall verdict.
func writeCheckText(s *Streams, rep checkReport, overall checks.Verdict) error {
	for _, l := range rep.Checks {
		writeCheckLine(s.Out, s.IsTTY, l)
	}
	fmt.Fprintf(s.Out, "%s: %s\n", rep.Env, paint(s.IsTTY, rep.Verdict, overall))
	return nil
}

// writeCheckLine prints "ID VERDICT title — evidence (age)".
func writeCheckLine(w io.Writer, tty bool, l checkLine) {
	age := "never"
	if l.Age != nil {
		age = checks.FormatAge(time.Duration(*l.Age * float64(time.Second)))
	}
	fmt.Fprintf(w, "%-3s %s %s — %s (%s)\n", l.ID, paint(tty, fmt.Sprintf("%-7s", l.Verdict), l.verdict), l.Title, l.Evidence, age)
}

// paint colours text by verdict for a terminal, in the screen's colours
// (output.ToneOf); pipes, NO_COLOR and TERM=dumb get plain text.
func paint(tty bool, text string, v checks.Verdict) string {
	return output.NewPainter(tty, os.Getenv).Verdict(v, text)
}

func okVerdict(ok bool) checks.Verdict {
	if ok {
		return checks.Pass
	}
	return checks.Fail
}
