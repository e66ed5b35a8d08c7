package scripted

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// StatusReport is where the cutover stands, as status prints it: -o json
// prints it as it is.
type StatusReport struct {
	Env           string                   `json:"env"`
	RustWriteMode string                   `json:"rust_write_mode"`     // rust_active | shadow_only | read_only | unknown
	LegacyFreeze  string                   `json:"legacy_write_freeze"` // frozen | not frozen | unknown
	WriteTarget   string                   `json:"write_target"`        // rust | legacy | split | unknown
	CohortPercent *float64                 `json:"cohort_percent"`      // null when unknown
	Incidents     []runbook.IncidentStatus `json:"incidents"`
	// Timeline is whether this config's role can publish to the shared
	// timeline: a cockpit that cannot says so before anyone relies on it.
	Timeline sharedlog.Publishable `json:"timeline"`
	// Guard is the environment's automatic rollback (cockpit guard).
	Guard GuardStatus `json:"guard"`

	observed runbook.Observed // the evidence the text lines cite
}

// GuardStatus is the environment's guard in status: its configured mode
// and what the newest guard process journaled last.
type GuardStatus struct {
	Mode      config.GuardMode `json:"mode"`
	Countdown string           `json:"countdown"`
	// State is the last state a guard journaled; "off" when none runs
	// (never started, stopped, or its process is gone).
	State     string    `json:"state"`
	Criterion string    `json:"criterion,omitempty"`
	Line      string    `json:"line,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	// RemainingSeconds is the countdown left, while counting down.
	RemainingSeconds int    `json:"remaining_seconds,omitempty"`
	Process          string `json:"process,omitempty"`
}

// Status is the report of one observed round and the shared timeline's
// word on publishing.
func Status(st runbook.State, timeline sharedlog.Publishable) StatusReport {
	o := st.Observed
	rep := StatusReport{Env: st.Env, RustWriteMode: orUnknown(o.RustWriteMode.Evidence.Value),
		LegacyFreeze: orUnknown(o.LegacyFreeze.Evidence.Value), WriteTarget: orUnknown(o.WriteTarget.Evidence.Value),
		Incidents: st.Incidents, Timeline: timeline, observed: o}
	if !math.IsNaN(o.CohortPercent) {
		p := o.CohortPercent
		rep.CohortPercent = &p
	}
	return rep
}

// Unknown says whether the position is not known: automation must not
// read an unknown position as a known one (status holds, exit 2).
func (r StatusReport) Unknown() bool {
	return r.RustWriteMode == "unknown" || r.LegacyFreeze == "unknown" || r.WriteTarget == "unknown"
}

// StatusFormats are what status prints, by -o.
var StatusFormats = output.Registry[func(w io.Writer, p output.Painter, rep StatusReport) error]{
	output.Text: writeStatusText,
	output.JSON: func(w io.Writer, _ output.Painter, rep StatusReport) error { return output.WriteJSON(w, rep) },
}

// writeStatusText prints the position one fact a line, with its evidence,
// then the incidents.
func writeStatusText(w io.Writer, p output.Painter, rep StatusReport) error {
	o := rep.observed
	cohort := "unknown"
	if rep.CohortPercent != nil {
		cohort = fmt.Sprintf("%.1f%% on rust", *rep.CohortPercent)
	}
	fmt.Fprintf(w, "env      %s\n", rep.Env)
	fmt.Fprintf(w, "rust     %s — %s\n", rep.RustWriteMode, o.RustWriteMode.Evidence)
	fmt.Fprintf(w, "legacy   %s — %s\n", rep.LegacyFreeze, o.LegacyFreeze.Evidence)
	fmt.Fprintf(w, "writes → %s (%s) — %s\n", rep.WriteTarget, cohort, o.WriteTarget.Evidence)
	fmt.Fprintf(w, "timeline: %s%s\n", rep.Timeline.Status, orNothing(" — ", rep.Timeline.Detail))
	fmt.Fprintf(w, "guard    %s (%s)%s\n", rep.Guard.State, rep.Guard.Mode, orNothing(" — ", rep.Guard.Line))
	for _, inc := range rep.Incidents {
		fmt.Fprintf(w, "%-3s %s %s — %s\n", inc.Runbook, p.Verdict(inc.State.Verdict(), fmt.Sprintf("%-7s", strings.ToUpper(inc.State.String()))), inc.Title, inc.Evidence)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// orNothing is prefix+s, or "" when s is empty.
func orNothing(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
