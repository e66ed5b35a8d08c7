package runbook

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

func gateIDs(gs []checks.Result) string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID+"="+g.Verdict.String())
	}
	return strings.Join(ids, " ")
}

func TestS1IsGatedByThePreconditionsAndIncidents(t *testing.T) {
	st := newTestEvaluator(t, false).evaluate(goodObservation(t0))
	if got := gateIDs(gates(st, "S1", config.LowTrafficHold)); got != "P1=PASS P2=PASS P3=PASS P4=PASS rust_readiness=PASS I=PASS" {
		t.Errorf("S1 gates = %s", got)
	}

	o := goodObservation(t0)
	o.db = []checks.Result{{ID: "db.configured", Verdict: checks.Unknown, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "database", Reason: "no database configured (set DB_URL)"}}}
	st = newTestEvaluator(t, false).evaluate(o)
	gs := gates(st, "S1", config.LowTrafficHold)
	if gs[3].Verdict != checks.Unknown || !strings.Contains(gs[3].Line(t0), "set DB_URL") {
		t.Errorf("P4 gate without a database = %v %q, want UNKNOWN naming DB_URL", gs[3].Verdict, gs[3].Line(t0))
	}
}

func TestAFiringIncidentHoldsEveryForwardStepButNotRollback(t *testing.T) {
	ev := newTestEvaluator(t, false)
	var st State
	for _, d := range []time.Duration{0, 11 * time.Minute} { // for: 10m
		o := goodObservation(t0.Add(d))
		s := o.snapshot.Samples["rust_write_error_rate"]
		s.Value = 0.5
		o.snapshot.Samples["rust_write_error_rate"] = s
		st = ev.evaluate(o)
	}
	for _, id := range []string{"S1", "S2", "S3", "S4"} {
		gs := gates(st, id, config.LowTrafficHold)
		last := gs[len(gs)-1]
		if last.Verdict != checks.Fail || !strings.Contains(last.Evidence.Value, "I2 write_error_spike") {
			t.Errorf("%s incident gate = %v %q, want FAIL naming I2", id, last.Verdict, last.Evidence.Value)
		}
	}
	if gs := gates(st, "rollback", config.LowTrafficHold); len(gs) != 0 {
		t.Errorf("rollback gates = %s, want none: a rollback is never held", gateIDs(gs))
	}
	if len(st.Firing()) != 1 {
		t.Errorf("firing = %+v, want the write error spike", st.Firing())
	}
}

func TestGateAgeIsTheOldestCheckAndEvidenceTheDecidingOne(t *testing.T) {
	o := goodObservation(t0)
	o.rustReady.ObservedAt = t0.Add(-8 * time.Second)
	o.legacyHealth = checks.Result{ID: "legacy_health", Verdict: checks.Unknown, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "GET http://legacy/internal/v1/health", Reason: "signature rejected"}}
	st := newTestEvaluator(t, false).evaluate(o)
	p3 := gates(st, "S1", config.LowTrafficHold)[2]
	if p3.Verdict != checks.Unknown || !strings.Contains(p3.Line(t0), "signature rejected") {
		t.Errorf("P3 gate = %v %q, want UNKNOWN with the legacy reason", p3.Verdict, p3.Line(t0))
	}
	if p3.Age(t0) != 8*time.Second {
		t.Errorf("P3 gate age = %s, want the oldest check's 8s", p3.Age(t0))
	}
}

func TestS2WaitsForS1AndV1ForTheSafeProbe(t *testing.T) {
	o := goodObservation(t0)
	o.rustFreeze = checks.Frozen
	o.rust = checks.RustHealth{Mode: "shadow_only"}
	st := newTestEvaluator(t, false).evaluate(o)
	if g := gates(st, "S2", config.LowTrafficHold); g[0].ID != "S1" || g[0].Verdict != checks.Fail {
		t.Errorf("S2 gates = %s, want S1=FAIL first", gateIDs(g))
	}
	if g := gates(st, "V1", config.LowTrafficHold); len(g) != 1 || g[0].Verdict != checks.Fail {
		t.Errorf("V1 gates = %s, want the safe probe FAIL", gateIDs(g))
	}
	if g := gates(st, "P1", config.LowTrafficHold); g != nil {
		t.Errorf("P1 (a check) has gates %s", gateIDs(g))
	}
}

func TestProductionS3IsGatedByHealthNotByS2(t *testing.T) {
	staging := newTestEvaluator(t, false).evaluate(goodObservation(t0))
	if got := gateIDs(gates(staging, "S3", config.LowTrafficHold)); !strings.HasPrefix(got, "S2=") {
		t.Errorf("staging S3 gates = %s, want S2 first: parity runs on traffic the Rust path served", got)
	}
	// Production before S4: Rust is not the authority, so S2 is red there
	// for good, and gating on it would make S4's parity gates unearnable.
	production := newTestEvaluator(t, true).evaluate(goodObservation(t0))
	if got := gateIDs(gates(production, "S3", config.LowTrafficHold)); got != "P3=PASS rust_readiness=PASS I=PASS" {
		t.Errorf("production S3 gates = %s, want P3=PASS rust_readiness=PASS I=PASS", got)
	}
	bad := goodObservation(t0)
	bad.rustReady = checks.Result{ID: "rust_readiness", Verdict: checks.Fail, ObservedAt: t0, Evidence: checks.Evidence{Source: "rust /readyz", Value: "503"}}
	if got := gateIDs(gates(newTestEvaluator(t, true).evaluate(bad), "S3", config.LowTrafficHold)); got != "P3=FAIL rust_readiness=FAIL I=PASS" {
		t.Errorf("production S3 gates with rust not ready = %s, want P3=FAIL rust_readiness=FAIL", got)
	}
}
