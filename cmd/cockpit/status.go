package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
)

func newStatusCmd(ctx context.Context, s *Streams) *cobra.Command {
	var f readFlags
	c := &cobra.Command{
		Use:   "status --env E [-o text|json]",
		Short: "Print where the cutover stands, read from the systems themselves",
		Long: "status observes the environment once: the Rust write mode (/healthz), the legacy freeze\n" +
			"(the safe signed probe), where writes go and the cohort (Prometheus), and every incident criterion.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runStatus(ctx, s, &f) },
	}
	f.register(c)
	return c
}

type statusReport struct {
	Env           string                   `json:"env"`
	RustWriteMode string                   `json:"rust_write_mode"`     // rust_active | shadow_only | read_only | unknown
	LegacyFreeze  string                   `json:"legacy_write_freeze"` // frozen | not frozen | unknown
	WriteTarget   string                   `json:"write_target"`        // rust | legacy | split | unknown
	CohortPercent *float64                 `json:"cohort_percent"`      // null when unknown
	Incidents     []runbook.IncidentStatus `json:"incidents"`
	// Timeline is whether this config's role can publish to the shared
	// timeline: a cockpit that cannot says so before anyone relies on it.
	Timeline timelineReport `json:"timeline"`
	// Guard is the environment's automatic rollback (cockpit guard).
	Guard guardStatus `json:"guard"`
}

// statusFormats are what status prints, by -o.
var statusFormats = output.Registry[func(s *Streams, rep statusReport, st runbook.State) error]{
	output.Text: writeStatusText,
	output.JSON: func(s *Streams, rep statusReport, _ runbook.State) error { return output.WriteJSON(s.Out, rep) },
}

func runStatus(ctx context.Context, s *Streams, f *readFlags) error {
	write, err := formatter(statusFormats, f.output)
	if err != nil {
		return err
	}
	fac, e, err := openEngine(s, f)
	if err != nil {
		return err
	}
	defer fac.Close()
	timeline := make(chan timelineReport, 1)
	go func() { timeline <- timelineStatus(ctx, e.Env()) }()
	st := e.Observe(ctx)
	o := st.Observed
	rep := statusReport{Env: st.Env, RustWriteMode: orUnknown(o.RustWriteMode.Evidence.Value),
		LegacyFreeze: orUnknown(o.LegacyFreeze.Evidence.Value), WriteTarget: orUnknown(o.WriteTarget.Evidence.Value),
		Incidents: st.Incidents, Timeline: <-timeline, Guard: guardStatusOf(e.Config(), e.Env(), st.At)}
	// Automation must not read an unknown position as a known one: exit 2
	// (hold) after printing, as check does for unknown data.
	var result error
	if rep.RustWriteMode == "unknown" || rep.LegacyFreeze == "unknown" || rep.WriteTarget == "unknown" {
		result = silentExit(exitUnknown)
	}
	if !math.IsNaN(o.CohortPercent) {
		p := o.CohortPercent
		rep.CohortPercent = &p
	}
	if err := write(s, rep, st); err != nil {
		return err
	}
	return result
}

// writeStatusText prints the position one fact a line, with its evidence,
// then the incidents.
func writeStatusText(s *Streams, rep statusReport, st runbook.State) error {
	o := st.Observed
	cohort := "unknown"
	if rep.CohortPercent != nil {
		cohort = fmt.Sprintf("%.1f%% on rust", *rep.CohortPercent)
	}
	fmt.Fprintf(s.Out, "env      %s\n", rep.Env)
	fmt.Fprintf(s.Out, "rust     %s — %s\n", rep.RustWriteMode, o.RustWriteMode.Evidence)
	fmt.Fprintf(s.Out, "legacy   %s — %s\n", rep.LegacyFreeze, o.LegacyFreeze.Evidence)
	fmt.Fprintf(s.Out, "writes → %s (%s) — %s\n", rep.WriteTarget, cohort, o.WriteTarget.Evidence)
	fmt.Fprintf(s.Out, "timeline: %s%s\n", rep.Timeline.Status, orNothing(" — ", rep.Timeline.Detail))
	fmt.Fprintf(s.Out, "guard    %s (%s)%s\n", rep.Guard.State, rep.Guard.Mode, orNothing(" — ", rep.Guard.Line))
	for _, inc := range st.Incidents {
		fmt.Fprintf(s.Out, "%-3s %s %s — %s\n", inc.Runbook, paint(s.IsTTY, fmt.Sprintf("%-7s", strings.ToUpper(inc.State.String())), inc.State.Verdict()), inc.Title, inc.Evidence)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
