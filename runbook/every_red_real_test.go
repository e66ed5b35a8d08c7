package runbook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/rustsim"
)

// spikeIncident is write_error_spike in st.
func spikeIncident(t *testing.T, st State) IncidentStatus {
	t.Helper()
	for _, inc := range st.Incidents {
		if inc.ID == "write_error_spike" {
			return inc
		}
	}
	t.Fatal("write_error_spike not evaluated")
	return IncidentStatus{}
}

// rustErrors is the observation at `at` with Rust's 5m error rate at v,
// its history at v for the 10 minutes before, and Rust having lost the
// authority at lost and regained it at gained (zero: never journaled).
func rustErrors(at time.Time, v float64, lost, gained time.Time) observation {
	o := goodObservation(at)
	s := o.snapshot.Samples["rust_write_error_rate"]
	s.Value, s.Window = v, 5*time.Minute
	for p := at.Add(-10 * time.Minute); p.Before(at); p = p.Add(15 * time.Second) {
		s.History = append(s.History, metrics.Point{T: p, V: v})
	}
	o.snapshot.Samples["rust_write_error_rate"] = s
	o.history.RustAuthority = AuthorityMoves{Gained: gained, Lost: lost}
	return o
}

// S1, rollback, S1 again: Rust's 5m window reaches back into the earlier
// authority period (and the rollback's refusals, which the queries leave
// out anyway), so until its window starts after the rollback froze it, I2
// reads insufficient traffic: not pending, not firing, never ok. Then it
// judges again, on that data only, and a spike is pending at once; the
// first S1 (no earlier period) is judged at once.
func TestI2JudgesARuntimeOnlyOnItsCurrentAuthorityPeriod(t *testing.T) {
	regained := t0.Add(-time.Minute)
	rolledBack := t0.Add(-3 * time.Minute)
	ev := newTestEvaluator(t, false)
	for at := t0; at.Before(rolledBack.Add(5 * time.Minute)); at = at.Add(15 * time.Second) {
		inc := spikeIncident(t, ev.evaluate(rustErrors(at, 0.04, rolledBack, regained)))
		if inc.State != IncidentUnknown || !strings.Contains(inc.Insufficient, "insufficient traffic since rust regained the authority") {
			t.Fatalf("%s after S1 again, 4%% in a window reaching back before it: %v (%s), want unknown for insufficient traffic",
				at.Sub(regained), inc.State, inc.Evidence)
		}
	}
	// Bad day beside: a spike on data wholly from the new period fires.
	judged := rolledBack.Add(5*time.Minute + time.Second)
	inc := spikeIncident(t, ev.evaluate(rustErrors(judged, 0.04, rolledBack, regained)))
	if inc.State != IncidentPending || inc.Insufficient != "" {
		t.Errorf("a whole window after S1 again, 4%%: %v (%s), want pending", inc.State, inc.Evidence)
	}
	if inc.PendingFor > time.Second {
		t.Errorf("held for %s: the replayed history reached back into the earlier period", inc.PendingFor)
	}
	first := spikeIncident(t, newTestEvaluator(t, false).evaluate(rustErrors(t0, 0.04, time.Time{}, regained)))
	if first.State != IncidentFiring {
		t.Errorf("first S1 (never an authority before), 4%% for 10m: %v (%s), want firing at once", first.State, first.Evidence)
	}
}

// insufficientI2 is the observation after S1 with Rust's write path quiet:
// 3 requests in the window.
func insufficientI2(at time.Time) observation {
	o := goodObservation(at)
	s := o.snapshot.Samples["rust_write_error_rate"]
	s.Value, s.Volume = 0, 3
	o.snapshot.Samples["rust_write_error_rate"] = s
	return o
}

// A quiet write path reads "insufficient traffic (N of M)", UNKNOWN. It holds
// a step unless something judges the write path: S2's own probe, a probe
// passed since the last mode change while writes go to Rust alone, or the
// environment's low_traffic: proceed; the gate still names it.
func TestInsufficientTrafficHoldsOnlyWhereNothingElseJudges(t *testing.T) {
	o := insufficientI2(t0)
	o.history.WriteProbe = time.Time{} // S1 done, no probe yet
	st := newTestEvaluator(t, false).evaluate(o)
	if inc := spikeIncident(t, st); inc.State != IncidentUnknown || inc.Insufficient != "insufficient traffic (3 of 20 requests)" {
		t.Fatalf("I2 on 3 requests: %v %q (%s), want unknown, insufficient traffic (3 of 20 requests)", inc.State, inc.Insufficient, inc.Evidence)
	}
	gate := func(st State, step string, low config.LowTraffic) checks.Result {
		return noIncidentGate(st, step, low)
	}
	if g := gate(st, "S3", config.LowTrafficHold); g.Verdict != checks.Unknown ||
		!strings.Contains(g.Evidence.Value, "insufficient traffic (3 of 20 requests); low_traffic: hold") ||
		!strings.Contains(g.Evidence.Value, "set low_traffic: proceed") {
		t.Errorf("S3, hold, no write probe: %s, want UNKNOWN naming the insufficient traffic and the fix", g.Line(t0))
	}
	for _, c := range []struct {
		step, why string
		low       config.LowTraffic
	}{
		{"S2", "S2's own write probe", config.LowTrafficHold},
		{"S3", "low_traffic: proceed", config.LowTrafficProceed},
	} {
		g := gate(st, c.step, c.low)
		if g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "not judged: I2 write_error_spike: insufficient traffic (3 of 20 requests)") ||
			!strings.Contains(g.Evidence.Value, c.why) {
			t.Errorf("%s, low_traffic %s: %s, want PASS naming I2 not judged and %q", c.step, c.low, g.Line(t0), c.why)
		}
	}
	probed := newTestEvaluator(t, false).evaluate(insufficientI2(t0)) // S2's probe passed after the mode change
	if g := gate(probed, "S3", config.LowTrafficHold); g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "write probe passed at") {
		t.Errorf("S3 after a write probe: %s, want PASS judged by the write probe", g.Line(t0))
	}
	// Bad day beside: a criterion that cannot tell for another reason
	// (stale data) holds whatever low_traffic says.
	o = goodObservation(t0)
	s := o.snapshot.Samples["rust_write_error_rate"]
	s.At = t0.Add(-time.Hour)
	o.snapshot.Samples["rust_write_error_rate"] = s
	if g := gate(newTestEvaluator(t, false).evaluate(o), "S3", config.LowTrafficProceed); g.Verdict != checks.Unknown {
		t.Errorf("stale I2 with low_traffic: proceed: %s, want UNKNOWN", g.Line(t0))
	}
}

// A Rust runtime that is not ready holds every forward step, S3 included
// (its parity would judge a runtime that cannot serve); ready, S3 opens.
func TestRustNotReadyHoldsEveryForwardStep(t *testing.T) {
	o := goodObservation(t0)
	if gs := gates(newTestEvaluator(t, false).evaluate(o), "S3", config.LowTrafficHold); !AllGreen(gs) {
		t.Fatalf("S3 with Rust ready after S2: %s, want every gate green", gateIDs(gs))
	}
	o.rustReady = checks.Result{ID: "rust_readiness", Title: "rust readiness", Verdict: checks.Fail, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "GET /readyz", Value: "503 not_ready (projector not ready)"}}
	st := newTestEvaluator(t, false).evaluate(o)
	for _, step := range []string{"S1", "S2", "S3", "S4"} {
		gs := gates(st, step, config.LowTrafficProceed)
		if !strings.Contains(gateIDs(gs), "rust_readiness=FAIL") {
			t.Errorf("%s with Rust not ready: %s, want rust_readiness FAIL", step, gateIDs(gs))
		}
	}
	if gs := gates(st, "rollback", config.LowTrafficHold); len(gs) != 0 {
		t.Errorf("the rollback is gated: %s", gateIDs(gs))
	}
}

// The journal says when each runtime gained and lost the authority, from
// the sub-steps as the executor names them (a rollback's "R1 …" too): an
// actuator call's outcome when it came, else its intent; a skipped
// ("already in place", no call) sub-step moves nothing.
func TestTheJournalSaysWhenEachRuntimeGainedAndLostTheAuthority(t *testing.T) {
	path := filepath.Join(t.TempDir(), "staging.jsonl")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ok := true
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	call := func(step, sub string, start, end int) {
		appendOrFail(t, j, journal.Record{Time: at(start), Kind: journal.KindIntent, Step: step, Check: sub, Argv: []string{"ctl"}})
		if end > 0 {
			appendOrFail(t, j, journal.Record{Time: at(end), Kind: journal.KindOutcome, Step: step, Check: sub, OK: &ok})
		}
	}
	call("S1", "set_rust_write_mode=rust_active", 0, 1)
	call("S1", "route_writes=rust", 2, 12)
	call("S1", "set_legacy_freeze=true", 13, 14)
	call("rollback", "R1 set_rust_write_mode=shadow_only", 20, 21)
	call("rollback", "R2 set_legacy_freeze=false", 22, 23)
	call("rollback", "R3 route_writes=legacy", 24, 0) // its process died: the intent stands
	appendOrFail(t, j, journal.Record{Time: at(40), Kind: journal.KindOutcome, Step: "S1", Check: "set_rust_write_mode=rust_active",
		OK: &ok, Message: "already in place"})
	h := newHistoryReader(path).Read()
	if want := (AuthorityMoves{Gained: at(12), Lost: at(24)}); h.RustAuthority != want {
		t.Errorf("rust %+v, want %+v", h.RustAuthority, want)
	}
	if want := (AuthorityMoves{Gained: at(24), Lost: at(14)}); h.LegacyAuthority != want {
		t.Errorf("legacy %+v, want %+v", h.LegacyAuthority, want)
	}
}

func appendOrFail(t *testing.T, j *journal.Journal, r journal.Record) {
	t.Helper()
	if err := j.Append(r); err != nil {
		t.Fatal(err)
	}
}

// A script polling `check` (a one-shot engine with a probe journal each
// call) sends one refused write per frozen runtime per probe period, not
// per call: the next call reuses the journaled answer, with its age. Bad
// day beside: once the answer is a period old, the next call probes again.
func TestOneShotChecksReuseAFreshJournaledProbeAnswer(t *testing.T) {
	rs, err := rustsim.New(rustsim.Options{Env: map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "shadow_only"}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := legacysim.New(legacysim.Options{Env: map[string]string{legacysim.EnvFreeze: "true", legacysim.EnvSecret: "test-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	rustURL, rustN := countedServer(t, rs.Handler())
	legURL, legN := countedServer(t, ls.Handler())
	down := httptest.NewServer(nil)
	down.Close()
	state := t.TempDir()
	now, tick := clock(time.Now())
	cfg := testConfig(t, down.URL, rustURL, legURL, state, false) // probe period 5s
	check := func() State {
		j, err := journal.Open(journal.Path(state, "staging"))
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		e, err := NewEngine(cfg, "staging", EngineOptions{LookupEnv: secretEnv("test-secret"), Now: tick, ProbeJournal: j})
		if err != nil {
			t.Fatal(err)
		}
		return e.Observe(context.Background())
	}
	posts := func() (int, int) { return rustN.count(http.MethodPost), legN.count(http.MethodPost) }

	check()
	if r, l := posts(); r != 1 || l != 1 {
		t.Fatalf("the first check sent rust %d, legacy %d POSTs, want 1 each", r, l)
	}
	*now = now.Add(2 * time.Second)
	st := check()
	if r, l := posts(); r != 1 || l != 1 {
		t.Errorf("a second check 2s later sent rust %d, legacy %d POSTs in all, want still 1 each", r, l)
	}
	if w := st.Writers; w.Rust != checks.Frozen || w.Legacy != checks.Frozen {
		t.Errorf("writers from the journaled answers = %+v, want both frozen", w)
	}
	v2, _ := st.Item("V2")
	if line := v2.Checks[0].Line(st.At); v2.Verdict != checks.Pass || !strings.Contains(line, "journal probe.legacy_frozen") || !strings.Contains(line, "age 2s") {
		t.Errorf("V2 on the reused answer = %v %q, want PASS from the journal, 2s old", v2.Verdict, line)
	}
	// Rust's mode changed out of band: /healthz no longer agrees with the
	// journaled answer, so Rust is probed again (legacy's answer stands).
	if err := rs.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "rust_active"}); err != nil {
		t.Fatal(err)
	}
	if st := check(); st.Writers.Rust != checks.Accepting {
		t.Errorf("rust after an out-of-band mode change = %v, want accepting", st.Writers.Rust)
	}
	if r, l := posts(); r != 2 || l != 1 {
		t.Errorf("after Rust's mode changed: rust %d, legacy %d POSTs in all, want 2 and 1", r, l)
	}
	*now = now.Add(freezeProbeEvery(cfg.Refresh.D(), cfg.StaleAfter.D()))
	check()
	if r, l := posts(); r != 3 || l != 2 {
		t.Errorf("a check a probe period later sent rust %d, legacy %d POSTs in all, want 3 and 2", r, l)
	}
}

// TestV4OnAQuietWritePathIsSaidNotHeldForGood: V4's error rate on too
// little traffic is UNKNOWN (hold) unless the environment declares
// low_traffic: proceed, where it reads N/A with why and V4 is judged on the
// rest; never a PASS of the error rate itself.
func TestV4OnAQuietWritePathIsSaidNotHeldForGood(t *testing.T) {
	held := newTestEvaluator(t, false)
	if v4, _ := held.evaluate(insufficientI2(t0)).Item("V4"); v4.Verdict != checks.Unknown || !strings.Contains(checkLines(v4.Checks, t0), "insufficient traffic") {
		t.Errorf("V4 on 3 requests, low_traffic: hold = %v, want UNKNOWN for insufficient traffic: %s", v4.Verdict, checkLines(v4.Checks, t0))
	}
	quiet := newTestEvaluator(t, false)
	quiet.env.LowTraffic = config.LowTrafficProceed
	st := quiet.evaluate(insufficientI2(t0))
	v4, _ := st.Item("V4")
	if v4.Verdict != checks.Pass {
		t.Fatalf("V4 on 3 requests, low_traffic: proceed = %v, want PASS on the other checks: %s", v4.Verdict, checkLines(v4.Checks, t0))
	}
	for _, c := range v4.Checks {
		if c.ID == "rust_write_error_rate" && (c.Verdict != checks.NotJudged || !strings.Contains(c.Evidence.Reason, "insufficient traffic (3 of 20 requests); not judged: the environment declares low_traffic: proceed")) {
			t.Errorf("V4's rust error rate = %s, want N/A naming the traffic and the declaration", c.Line(t0))
		}
	}
}

// TestAQuietWritePathAfterS1IsSaidNotUnknownForGood: after S1, a share
// query that answers, fresh, with no write to divide leaves S1 in place
// with its write target N/A (said why) while legacy answers 410; a silent,
// stale or failed share, or legacy not frozen, stays UNKNOWN.
func TestAQuietWritePathAfterS1IsSaidNotUnknownForGood(t *testing.T) {
	quiet := func(edit func(*observation)) observation {
		o := goodObservation(t0)
		s := o.snapshot.Samples[ShareSignal]
		s.Value, s.HasValue = 0, false
		o.snapshot.Samples[ShareSignal] = s
		if edit != nil {
			edit(&o)
		}
		return o
	}
	s1, _ := newTestEvaluator(t, false).evaluate(quiet(nil)).Item("S1")
	if s1.Verdict != checks.Pass || !strings.Contains(checkLines(s1.Checks, t0), "no write in the write share's window") {
		t.Errorf("S1 on a quiet write path = %v, want PASS with the target N/A: %s", s1.Verdict, checkLines(s1.Checks, t0))
	}
	for name, edit := range map[string]func(*observation){
		"silent": func(o *observation) {
			s := o.snapshot.Samples[ShareSignal]
			s.Silent = true
			o.snapshot.Samples[ShareSignal] = s
		},
		"stale": func(o *observation) {
			s := o.snapshot.Samples[ShareSignal]
			s.At = t0.Add(-time.Hour)
			o.snapshot.Samples[ShareSignal] = s
		},
		"query failed": func(o *observation) {
			o.snapshot.Samples[ShareSignal] = metrics.Sample{Signal: ShareSignal, At: t0, Err: errors.New("boom")}
		},
		"legacy not frozen": func(o *observation) { o.legacyFreeze = checks.Accepting },
		"writes refused": func(o *observation) {
			o.snapshot.Samples["frozen_write_refusals"] = metrics.Sample{Signal: "frozen_write_refusals", At: t0, Value: 0.5, HasValue: true}
		},
		"legacy freeze unread": func(o *observation) { o.legacyFreeze = checks.FreezeUnknown },
	} {
		if s1, _ := newTestEvaluator(t, false).evaluate(quiet(edit)).Item("S1"); s1.Verdict == checks.Pass {
			t.Errorf("S1 with the share %s = PASS, want not PASS: %s", name, checkLines(s1.Checks, t0))
		}
	}
}
