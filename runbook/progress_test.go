package runbook

import (
	"os"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
)

// foldJournal folds records into a History as the engine's reader does.
func foldJournal(t *testing.T, recs ...journal.Record) History {
	t.Helper()
	r := newHistoryReader(t.TempDir() + "/none.jsonl")
	for i := range recs {
		r.fold(&recs[i])
	}
	return r.snapshot()
}

func outcome(at time.Time, step, check string, ok bool, msg string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindOutcome, Step: step, Check: check, Operator: "ana", OK: &ok, Message: msg}
}

func approval(at time.Time, step string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindApproval, Step: step, Operator: "ana", Host: "laptop", PID: os.Getpid()}
}

func intent(at time.Time, step, check string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindIntent, Step: step, Check: check, Operator: "ana"}
}

// s1Journal is S1 done: its mode change, then its outcome.
func s1Journal(at time.Time) []journal.Record {
	return []journal.Record{
		approval(at, "S1"),
		{Time: at, Kind: journal.KindIntent, Step: "S1", Check: "set_rust_write_mode=rust_active", Argv: []string{"deploy"}},
		outcome(at.Add(time.Second), "S1", "", true, "S1 done"),
	}
}

// rollbackJournal is a rollback that ran R1–R4; failed names the R-steps
// that failed.
func rollbackJournal(at time.Time, failed ...string) []journal.Record {
	recs := []journal.Record{approval(at, RollbackID)}
	bad := map[string]bool{}
	for _, f := range failed {
		bad[f] = true
	}
	for i, id := range []string{"R1 set_rust_write_mode=shadow_only", "R2 set_legacy_freeze=false", "R3 route_writes=legacy", "R4 collect artifacts"} {
		at := at.Add(time.Duration(i+1) * time.Second)
		recs = append(recs, intent(at, RollbackID, id), outcome(at, RollbackID, id, !bad[id[:2]], "msg of "+id[:2]))
	}
	return append(recs, outcome(at.Add(10*time.Second), RollbackID, "", len(failed) == 0, "rollback ran to the end"))
}

func evaluateWith(t *testing.T, o observation, recs ...journal.Record) State {
	t.Helper()
	o.history = foldJournal(t, recs...)
	o.host = "laptop"
	return newTestEvaluator(t, false).evaluate(o)
}

func shown(st State) map[string]string {
	out := map[string]string{}
	for _, is := range st.Items {
		out[is.Item.ID] = is.Shown()
	}
	return out
}

// Right after a good S1, V1 is not red: the write probe that proves its
// other half is S2's to run. Once S2 has run, V1 is its verdict again.
func TestV1AwaitsS2AfterAGoodS1(t *testing.T) {
	o := goodObservation(t0)
	st := evaluateWith(t, o, s1Journal(t0.Add(-time.Minute))...)
	v1, _ := st.Item("V1")
	if v1.Shown() != "AWAITS S2" || v1.Verdict != checks.Fail {
		t.Errorf("V1 after S1 before its probe shows %q (verdict %v), want AWAITS S2 over a FAIL kept for the evidence", v1.Shown(), v1.Verdict)
	}
	if got := shown(st); got["V2"] != "PASS" || got["S1"] != "DONE" {
		t.Errorf("after S1: V2 %q, S1 %q; want PASS and DONE", got["V2"], got["S1"])
	}

	// S2 ran and its probe failed: a real red, not a wait.
	recs := append(s1Journal(t0.Add(-time.Minute)), approval(t0.Add(-30*time.Second), "S2"),
		outcome(t0.Add(-20*time.Second), "S2", "", false, "write probe: 404 on read-back"))
	if v1, _ := evaluateWith(t, o, recs...).Item("V1"); v1.Shown() != "FAIL" {
		t.Errorf("V1 after a failed S2 shows %q, want FAIL", v1.Shown())
	}

	// S2 passed: V1 passes.
	recs = append(s1Journal(t0.Add(-time.Minute)), approval(t0.Add(-30*time.Second), "S2"),
		outcome(t0.Add(-20*time.Second), "S2", WriteProbeStep, true, "probe ok"),
		outcome(t0.Add(-20*time.Second), "S2", "", true, "S2 done"))
	if v1, _ := evaluateWith(t, o, recs...).Item("V1"); v1.Shown() != "PASS" {
		t.Errorf("V1 after a passing S2 shows %q, want PASS", v1.Shown())
	}
}

// After a clean rollback the checklist of the cutover that was undone does
// not apply: n/a, not red. A failed rollback keeps the real verdicts.
func TestAfterACleanRollbackTheVItemsAreNotApplicable(t *testing.T) {
	o := goodObservation(t0)
	o.rust = checks.RustHealth{Mode: "shadow_only"}
	o.rustFreeze, o.legacyFreeze = checks.Frozen, checks.Accepting
	recs := append(s1Journal(t0.Add(-5*time.Minute)), rollbackJournal(t0.Add(-2*time.Minute))...)
	st := evaluateWith(t, o, recs...)
	for _, id := range []string{"V1", "V2", "V3", "V4"} {
		is, _ := st.Item(id)
		if is.Shown() != "N/A" || is.NotApplicable != "rolled back" {
			t.Errorf("%s after a clean rollback shows %q (%q), want N/A: rolled back", id, is.Shown(), is.NotApplicable)
		}
	}
	if v2, _ := st.Item("V2"); v2.Verdict != checks.Fail {
		t.Errorf("V2's verdict is %v, want FAIL kept for the evidence (legacy accepts writes again)", v2.Verdict)
	}

	failed := append(s1Journal(t0.Add(-5*time.Minute)), rollbackJournal(t0.Add(-2*time.Minute), "R3")...)
	if v2, _ := evaluateWith(t, o, failed...).Item("V2"); v2.NotApplicable != "" || v2.Shown() != "FAIL" {
		t.Errorf("V2 after a failed rollback shows %q, want its own FAIL", v2.Shown())
	}
}

// Each R-item shows its own result: only R3 failed, so only R3 is FAILED.
func TestEachRItemShowsItsOwnResult(t *testing.T) {
	recs := append(s1Journal(t0.Add(-5*time.Minute)), rollbackJournal(t0.Add(-2*time.Minute), "R3")...)
	got := shown(evaluateWith(t, goodObservation(t0), recs...))
	want := map[string]string{"R1": "DONE", "R2": "DONE", "R3": "FAILED", "R4": "DONE"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s shows %q, want %q (only R3 failed)", id, got[id], w)
		}
	}
}

// While R1 runs, R2–R4 are queued, not running; once R1 has a result and
// R2 is acted, R1 is done and R2 runs.
func TestWhileR1RunsTheOtherRItemsAreQueued(t *testing.T) {
	start := t0.Add(-10 * time.Second)
	recs := append(s1Journal(t0.Add(-5*time.Minute)), approval(start, RollbackID), intent(start, RollbackID, "R1 set_rust_write_mode=shadow_only"))
	got := shown(evaluateWith(t, goodObservation(t0), recs...))
	want := map[string]string{"R1": "RUNNING", "R2": "QUEUED", "R3": "QUEUED", "R4": "QUEUED"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("while R1 runs %s shows %q, want %q", id, got[id], w)
		}
	}
	recs = append(recs, outcome(start.Add(time.Second), RollbackID, "R1 set_rust_write_mode=shadow_only", true, "frozen"),
		intent(start.Add(2*time.Second), RollbackID, "R2 set_legacy_freeze=false"))
	got = shown(evaluateWith(t, goodObservation(t0), recs...))
	want = map[string]string{"R1": "DONE", "R2": "RUNNING", "R3": "QUEUED", "R4": "QUEUED"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("while R2 runs %s shows %q, want %q", id, got[id], w)
		}
	}
}

// A rollback is history once a forward step finished after it: its R-items
// read NOT RUN again, and the V-items are judged again.
func TestTheNextS1ClearsAFailedRollback(t *testing.T) {
	recs := append(s1Journal(t0.Add(-10*time.Minute)), rollbackJournal(t0.Add(-8*time.Minute), "R3")...)
	recs = append(recs, s1Journal(t0.Add(-time.Minute))...)
	st := evaluateWith(t, goodObservation(t0), recs...)
	got := shown(st)
	for _, id := range []string{"R1", "R2", "R3", "R4"} {
		if got[id] != "NOT RUN" {
			t.Errorf("%s after the next S1 shows %q, want NOT RUN (the failed rollback is history)", id, got[id])
		}
	}
	if got["V2"] != "PASS" || got["V1"] != "AWAITS S2" {
		t.Errorf("after the next S1: V1 %q, V2 %q; want AWAITS S2 and PASS", got["V1"], got["V2"])
	}
}

func TestProgressWords(t *testing.T) {
	for state, want := range map[ProgressState]string{NotRun: "NOT RUN", "": "NOT RUN", Running: "RUNNING", Done: "DONE",
		Failed: "FAILED", Interrupted: "STOPPED", Queued: "QUEUED"} {
		if got := state.Word(); got != want {
			t.Errorf("%q.Word() = %q, want %q", state, got, want)
		}
	}
}
