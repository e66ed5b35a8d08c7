package runbook

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

func writersIncident(t *testing.T, st State) IncidentStatus {
	t.Helper()
	for _, inc := range st.Incidents {
		if inc.ID == WritersID {
			return inc
		}
	}
	t.Fatal("exactly_one_writer not evaluated")
	return IncidentStatus{}
}

// A killed S1 (Rust rust_active, legacy never frozen) leaves two writers:
// with no live action moving the authority, that is an incident at once.
func TestBothRuntimesAcceptingOutsideAStepFires(t *testing.T) {
	o := goodObservation(t0)
	o.legacyFreeze = checks.Accepting
	o.history.Open = []OpenAction{{Step: "S1", Operator: "alice", Host: "elsewhere", Approved: t0.Add(-time.Hour), LastSeen: t0.Add(-time.Hour)}}
	st := newTestEvaluator(t, false).evaluate(o)
	inc := writersIncident(t, st)
	if inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "BOTH runtimes accept writes") || !strings.Contains(inc.Evidence, "roll back") {
		t.Fatalf("both accepting, S1 dead for an hour: %v (%s), want firing with a recommendation", inc.State, inc.Evidence)
	}
	if g := noIncidentGate(st, "S2", config.LowTrafficHold); g.Verdict != checks.Fail {
		t.Errorf("S2's incident gate with two writers = %v, want FAIL", g.Verdict)
	}
	if g := noIncidentGate(st, "S1", config.LowTrafficHold); g.Verdict != checks.Pass {
		t.Errorf("S1's incident gate with two writers = %v (%s), want PASS: finishing S1 is a remedy", g.Verdict, g.Evidence)
	}
}

func TestTwoWritersWhileAStepRunsAreExpected(t *testing.T) {
	o := goodObservation(t0)
	o.legacyFreeze = checks.Accepting
	o.host = "here"
	o.history.Open = []OpenAction{{Step: "S4", Operator: "alice", Host: "here", PID: os.Getpid(), Approved: t0.Add(-time.Hour)}}
	if inc := writersIncident(t, newTestEvaluator(t, true).evaluate(o)); inc.State != IncidentOK || !strings.Contains(inc.Evidence, "S4 by alice") {
		t.Fatalf("both accepting during a live S4: %v (%s), want ok naming S4", inc.State, inc.Evidence)
	}
	// The same action from a process that is gone no longer covers it.
	o.history.Open[0].PID = deadPID(t)
	if inc := writersIncident(t, newTestEvaluator(t, true).evaluate(o)); inc.State != IncidentFiring {
		t.Fatalf("both accepting, S4's process gone: %v (%s), want firing", inc.State, inc.Evidence)
	}
}

func TestNeitherWriterIsPendingThenFiring(t *testing.T) {
	ev := newTestEvaluator(t, false)
	at := func(d time.Duration) IncidentStatus {
		o := goodObservation(t0.Add(d))
		o.rustFreeze, o.rust = checks.Frozen, checks.RustHealth{Mode: "shadow_only"}
		return writersIncident(t, ev.evaluate(o))
	}
	if inc := at(0); inc.State != IncidentPending {
		t.Fatalf("both frozen: %v (%s), want pending", inc.State, inc.Evidence)
	}
	if inc := at(3 * time.Minute); inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "NEITHER") {
		t.Fatalf("both frozen for 3m (neither_for 2m): %v (%s), want firing", inc.State, inc.Evidence)
	}
}

func TestWritersUnknownWhenAProbeCannotTell(t *testing.T) {
	o := goodObservation(t0)
	o.legacyFreeze = checks.FreezeUnknown
	if inc := writersIncident(t, newTestEvaluator(t, false).evaluate(o)); inc.State != IncidentUnknown {
		t.Fatalf("legacy unknown: %v, want unknown", inc.State)
	}
}

// deadPID is the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// Before the cutover Rust is frozen and answers its refused writes 503:
// those are what it must answer, so I2 judges legacy, the authority.
func TestWriteErrorSpikeJudgesTheAuthorityOnly(t *testing.T) {
	o := goodObservation(t0)
	o.rustFreeze, o.rust = checks.Frozen, checks.RustHealth{Mode: "shadow_only"}
	o.legacyFreeze = checks.Accepting
	s := o.snapshot.Samples["rust_write_error_rate"]
	s.Value = 1 // every write Rust saw was refused
	o.snapshot.Samples["rust_write_error_rate"] = s
	st := newTestEvaluator(t, false).evaluate(o)
	for _, inc := range st.Incidents {
		if inc.ID == "write_error_spike" && (inc.State != IncidentOK || !strings.HasPrefix(inc.Evidence, "authority legacy (")) {
			t.Fatalf("rust frozen with 100%% refusals: %v (%s), want ok judged on legacy", inc.State, inc.Evidence)
		}
	}
	v4, _ := st.Item("V4")
	for _, c := range v4.Checks {
		if c.ID == "rust_write_error_rate" {
			t.Errorf("V4 judges the frozen runtime's refusals: %s", c.Line(t0))
		}
	}
}

// With Prometheus gone, I1 still fires from the reports, naming the file.
func TestCriticalParityFiresFromTheReports(t *testing.T) {
	o := goodObservation(t0)
	o.snapshot.Samples = nil
	o.parity.Reports = 3
	o.parity.NoCritical = checks.Result{ID: "parity_no_critical", Verdict: checks.Fail, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "/reports/parity-cancel.json", Value: "critical=2", Rule: "critical = 0"}}
	st := newTestEvaluator(t, false).evaluate(o)
	inc := st.Incidents[0]
	if inc.ID != "critical_parity" || inc.State != IncidentFiring || !strings.Contains(inc.Evidence, "/reports/parity-cancel.json") {
		t.Fatalf("I1 = %v (%s), want firing naming the report", inc.State, inc.Evidence)
	}
	if v := verdicts(st)["P2"]; v != checks.Fail {
		t.Errorf("P2 = %v, want FAIL", v)
	}
}
