package runbook

import "github.com/openagents/cockpit/checks"

// ParityOf is the parity pane's view of the newest report. The decision
// and totals are the report's own; whether they vouch for anything (fresh,
// well-formed, consistent) is in Result, the P1 gate.
func ParityOf(pr checks.ParityReading) ParityStatus {
	st := ParityStatus{Result: pr.Gate, Path: pr.Path, Generated: pr.Generated}
	if pr.Report != nil {
		st.Decision = pr.Report.Gate.Decision
		st.Critical = pr.Report.Totals.Critical
		st.Warning = pr.Report.Totals.Warning
	}
	return st
}
