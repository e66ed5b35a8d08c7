package runbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
)

// stagingValues are the sub-steps S1 journals in staging; S4 sets the same
// values in production ("promote same config").
var stagingValues = []string{"set_rust_write_mode=rust_active", "route_writes=rust", "set_legacy_freeze=true"}

// stagingGate says whether a staging environment's journal shows the
// runbook done, in order, before production is promoted: S1, then S2 and
// S3 after it, V1–V4 after S1, and S1 having set the values S4 will set.
// The journal is this machine's plus, when staging has a shared timeline
// that answered, what other machines published to it.
func stagingGate(production bool, staging map[string]History, at time.Time) checks.Result {
	r := checks.Result{ID: "staging.done", Title: "staging done first (S1–S3, V1–V4)", ObservedAt: at,
		Evidence: checks.Evidence{Source: "staging journal (this machine's and the shared timeline)", Rule: "S1, S2, S3 and V1–V4 done in order, S1 with " + strings.Join(stagingValues, ", ")}}
	if !production {
		r.Evidence.Reason = "only a production environment is gated on staging"
		return r
	}
	if len(staging) == 0 {
		r.Evidence.Reason = "no non-production environment is configured: add staging"
		return r
	}
	var misses []string
	for _, name := range slices.Sorted(maps.Keys(staging)) {
		missing := stagingMissing(staging[name])
		if len(missing) == 0 {
			r.Verdict = checks.Pass
			r.Evidence.Source = name + " journal"
			r.Evidence.Value = fmt.Sprintf("S1 done %s", staging[name].Done["S1"].UTC().Format(time.RFC3339))
			return r
		}
		misses = append(misses, name+": "+strings.Join(missing, ", "))
	}
	r.Verdict = checks.Fail
	r.Evidence.Value = "missing " + strings.Join(misses, "; ")
	return r
}

// stagingMissing lists what one staging journal lacks.
func stagingMissing(h History) []string {
	s1, ok := h.Done["S1"]
	if !ok {
		return []string{"S1 not done"}
	}
	var missing []string
	for _, v := range stagingValues {
		if !slices.Contains(h.SubSteps["S1"], v) {
			missing = append(missing, "S1 did not set "+v)
		}
	}
	if !h.DoneAfter("S2", s1) {
		missing = append(missing, "S2 not done after S1")
	}
	if !h.DoneAfter("S3", h.Done["S2"]) || !h.DoneAfter("S3", s1) {
		missing = append(missing, "S3 not done after S2")
	}
	if !(h.DoneAfter("V1", s1) || (!h.WriteProbe.Before(s1) && !h.WriteProbe.Before(h.ModeChanged))) {
		missing = append(missing, "V1 not done after S1")
	}
	for _, v := range []string{"V2", "V3", "V4"} {
		if !h.DoneAfter(v, s1) {
			missing = append(missing, v+" not passed after S1")
		}
	}
	return missing
}
