package runbook

import (
	"cmp"
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

// ShareSignal is the signal that tells where writes go.
const ShareSignal = "rust_write_share"

// ModeFrozen is the Rust write mode as the safe write probe tells it when
// /healthz cannot be reached (Cloud Run reserves some paths ending in z):
// shadow_only and read_only both answer 503 write_path_frozen.
const ModeFrozen = "frozen"

// observed reads where the cutover stands from this round's observations:
// the Rust mode from /healthz, the legacy freeze from the safe probe, and the
// write target and cohort from the rust_write_share signal.
func (r *round) observed() Observed {
	o := r.o
	mode := r.rustMode()

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

	target, percent := writeTarget(r.signal(ShareSignal), o.snapshot.Samples[ShareSignal].Value)
	return Observed{RustWriteMode: mode, LegacyFreeze: freeze, WriteTarget: target, CohortPercent: percent}
}

// rustMode is the Rust write mode from /healthz, or, when /healthz cannot
// tell, from the safe write probe: 404 on a random run is rust_active, 503
// write_path_frozen is frozen (shadow_only or read_only).
func (r *round) rustMode() checks.Result {
	o := r.o
	mode := o.rustHealth
	mode.ID, mode.Title = "rust.mode", "rust write mode"
	mode.Evidence.Value = o.rust.Mode
	if o.rust.Mode != "" && o.rustHealth.Verdict != checks.Unknown {
		return mode
	}
	probe := o.rustFrozen
	probe.ID, probe.Title = mode.ID, mode.Title
	probe.Evidence.Reason = "from the safe write probe: " + cmp.Or(mode.Evidence.Reason, "/healthz gave no mode")
	switch o.rustFreeze {
	case checks.Accepting:
		probe.Verdict, probe.Evidence.Value = checks.Pass, "rust_active"
	case checks.Frozen:
		probe.Verdict, probe.Evidence.Value = checks.Pass, ModeFrozen
	default:
		probe.Verdict, probe.Evidence.Value = checks.Unknown, ""
	}
	return probe
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
