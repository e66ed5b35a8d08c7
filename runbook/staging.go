package runbook

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// stagingValues are the sub-steps S1 journals in staging; S4 sets the same
// values in production ("promote same config").
var stagingValues = []string{"set_rust_write_mode=rust_active", "route_writes=rust", "set_legacy_freeze=true"}

// stagingCounted are the items whose outcomes the gate counts, in order.
var stagingCounted = []string{"S1", "S2", "S3", "V1", "V2", "V3", "V4"}

// stagingGate says whether the environment production requires (config
// requires, e.g. staging) shows the runbook done, in order, before
// production is promoted: S1, then S2 and S3 after it, V1–V4 after S1, and
// S1 having set the values S4 will set. Only the steps' own outcomes count,
// from this machine's journal or records a team key signed on the shared
// timeline; the evidence names who and where each came from. And the
// environment must be observed now as the runbook left it (stagingNow): a
// journal claim alone never opens S4.
func stagingGate(env *config.Environment, staging map[string]History, obs requiredObservation, at time.Time) checks.Result {
	r := checks.Result{ID: "staging.done", Title: "staging done first (S1–S3, V1–V4)", ObservedAt: at,
		Evidence: checks.Evidence{Source: "required environment's journal (this machine's and the shared timeline's signed records)",
			Rule: "S1, S2, S3 and V1–V4 done in order, S1 with " + strings.Join(stagingValues, ", ") + "; S1's target and V1–V4 observed PASS now"}}
	if !env.Production {
		r.Evidence.Reason = "only a production environment is gated on staging"
		return r
	}
	h, ok := staging[env.Requires]
	if env.Requires == "" || !ok {
		r.Evidence.Reason = "production requires no non-production environment: add staging (and requires: staging under " + env.Name + ")"
		return r
	}
	r.Evidence.Source = env.Requires + " journal (this machine's and the shared timeline's signed records)"
	if missing := stagingMissing(h); len(missing) > 0 {
		r.Verdict = checks.Fail
		r.Evidence.Value = "missing in " + env.Requires + ": " + strings.Join(missing, ", ")
	} else {
		r.Verdict = checks.Pass
		r.Evidence.Value = env.Requires + ": " + stagingWho(h)
	}
	return stagingNow(r, env.Requires, obs)
}

// stagingWho names each counted item's outcome: when, who, where (V1 may
// be the write probe S2 passed after S1).
func stagingWho(h History) string {
	var parts []string
	for _, id := range stagingCounted {
		if id == "V1" && !h.DoneAfter("V1", h.Done["S1"]) {
			parts = append(parts, "V1 by S2's write probe at "+h.WriteProbe.UTC().Format(time.RFC3339))
		} else if done, ok := h.Done[id]; ok {
			parts = append(parts, fmt.Sprintf("%s done %s by %s", id, done.UTC().Format(time.RFC3339), h.DoneBy[id]))
		}
	}
	return strings.Join(parts, "; ")
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
