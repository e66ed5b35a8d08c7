package main

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sandbox"
)

// quietStepBudget is how long one step may be held on a quiet staging
// before the test gives up: at 0.05 writes/s the first write reaches a
// runtime's revision within about a minute, and a gate holds (exit 3) until
// then, as it would on the real deployment.
const quietStepBudget = 4 * time.Minute

// TestAQuietStagingCutsOverWithoutOneOverride is the whole cutover on the
// world as the real deployment is: a quiet staging (0.05 writes/s, the
// rehearse default), no counter before its first event, a lag summary that
// never fills. S1→S2→S3 and V1–V4 in staging, then S3 and S4 in production,
// each earned without --override-reason (a held step is retried, never
// overridden); sticky cohorts misroute nothing.
func TestAQuietStagingCutsOverWithoutOneOverride(t *testing.T) {
	t.Parallel()
	bin := cockpitBinary(t)
	w := newE2EWorldOpts(t, bin, sandbox.Options{StagingWritesPerSecond: 0.05}, shortS4(t, nil))

	for _, step := range []string{"S1", "S2", "S3", "V1", "V2", "V3", "V4"} {
		runUntilDone(t, w, step, "staging")
	}
	runUntilDone(t, w, "S3", "production", "--confirm-env", "production")
	runUntilDone(t, w, "S4", "production", "--confirm-env", "production")

	for _, env := range []string{"staging", "production"} {
		if st := w.state(env); st.WriteTarget != "rust" || !st.LegacyWriteFreeze || st.MisroutedWrites != 0 {
			t.Errorf("%s after the cutover: %+v, want writes → rust, legacy frozen, no misrouted write", env, st)
		}
		for _, r := range w.timeline(env) {
			if r.Kind == journal.KindOverride {
				t.Errorf("%s journaled an override during the cutover: %+v", env, r)
			}
		}
	}
}

// runUntilDone runs a step until it ends OK, retrying while its gates hold
// it (exit 3: refused, nothing done) or its verification could not yet be
// observed; any other failure, or the budget running out, fails the test.
func runUntilDone(t *testing.T, w *e2eWorld, step, env string, extra ...string) {
	t.Helper()
	args := append([]string{"run", step, "--env", env, "--approve", step}, extra...)
	deadline := time.Now().Add(quietStepBudget)
	retry := time.NewTicker(2 * time.Second) // a held step is retried at this pace until its gate opens
	defer retry.Stop()
	for ; ; <-retry.C {
		out, errOut, code := w.cockpit(args...)
		if code == 0 {
			return
		}
		if code != exitNeedsApproval || time.Now().After(deadline) {
			t.Fatalf("cockpit %s: exit %d (held for %s at most)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, quietStepBudget, out, errOut)
		}
	}
}
