package runbook

import (
	"fmt"
	"math"

	"github.com/openagents/cockpit/checks"
)

// Shares of writes on Rust at which the write target reads as one side.
// Between them writes are split (a cohort rollout, or a half-done rollback).
const (
	rustShareAll  = 0.99
	rustShareNone = 0.01
)

// observed reads where the cutover stands from this round's observations:
// the Rust mode from /healthz, the legacy freeze from the safe probe, and the
// write target and cohort from the rust_write_share signal.
func (r *round) observed() Observed {
	o := r.o
	mode := o.rustHealth
	mode.ID, mode.Title = "rust.mode", "rust write mode"
	mode.Evidence.Value = o.rust.Mode
	if o.rust.Mode == "" {
		mode.Verdict = checks.Unknown
	}

	freeze := o.legacyFrozen
	freeze.ID, freeze.Title = "legacy.freeze", "legacy write freeze"
	switch o.legacyFreeze {
	case checks.Frozen:
		freeze.Evidence.Value, freeze.Verdict = "frozen", checks.Pass
	case checks.Accepting:
		freeze.Evidence.Value, freeze.Verdict = "not frozen", checks.Pass
	default:
		freeze.Evidence.Value, freeze.Verdict = "", checks.Unknown
	}

	target, percent := writeTarget(r.signal("rust_write_share"), o.snapshot.Samples["rust_write_share"].Value)
	return Observed{RustWriteMode: mode, LegacyFreeze: freeze, WriteTarget: target, CohortPercent: percent}
}

// writeTarget turns the rust share of writes into "rust", "legacy" or
// "split" (with the percentage in the rule). No data, stale data or a query
// error leave it UNKNOWN with a NaN percentage: the target is never guessed.
func writeTarget(share checks.Result, value float64) (checks.Result, float64) {
	t := share
	t.ID, t.Title = "writes.target", "write target"
	if share.Verdict == checks.Unknown || math.IsNaN(value) || share.Evidence.Value == "" {
		t.Verdict, t.Evidence.Value = checks.Unknown, ""
		return t, math.NaN()
	}
	percent := math.Round(value*1000) / 10
	t.Verdict = checks.Pass
	t.Evidence.Rule = fmt.Sprintf("rust share %.1f%%: ≥ %.0f%% rust, ≤ %.0f%% legacy, else split", percent, rustShareAll*100, rustShareNone*100)
	switch {
	case value >= rustShareAll:
		t.Evidence.Value = "rust"
	case value <= rustShareNone:
		t.Evidence.Value = "legacy"
	default:
		t.Evidence.Value = "split"
	}
	return t, percent
}

// NextStep is the first staged step (S1–S4) whose target state is not
// observed, or "" when every step is. It is what the screen offers next.
func (st State) NextStep() string {
	for _, is := range st.Items {
		if is.Item.Kind == Step && is.Verdict != checks.Pass {
			return is.Item.ID
		}
	}
	return ""
}

// Item returns the status of one runbook item, or false.
func (st State) Item(id string) (ItemStatus, bool) {
	for _, is := range st.Items {
		if is.Item.ID == id {
			return is, true
		}
	}
	return ItemStatus{}, false
}

// Firing lists the incident criteria that are firing now.
func (st State) Firing() []IncidentStatus {
	var out []IncidentStatus
	for _, inc := range st.Incidents {
		if inc.State == IncidentFiring {
			out = append(out, inc)
		}
	}
	return out
}
