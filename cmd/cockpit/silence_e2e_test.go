package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// TestNoGreenFromSilenceEndToEnd drives the built binary against worlds
// whose metrics are the real deployment's: no drift, write-failure or
// replay counter before its first event, a lag summary that never fills,
// Khala telemetry that moves only on legacy writes.
func TestNoGreenFromSilenceEndToEnd(t *testing.T) {
	t.Parallel()
	runBinarySubtests(t, []binarySubtest{
		{"preflight passes on the real metric landscape", testPreflightOnTheRealLandscape},
		{"a metric never exported fails preflight, naming what to change", testPreflightNamesANeverExportedMetric},
		{"scrapes stopped two minutes: nothing from Prometheus passes, rollback applies R3", testScrapesStoppedTwoMinutes},
	})
}

func testPreflightOnTheRealLandscape(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	out := w.mustRun(0, "preflight", "--env", "staging")
	for _, sig := range []string{"drift_events", "hash_mismatch_drift", "replay_failures"} {
		if !lineHas(out, " "+sig+" ", "no series yet: appears with its first event") {
			t.Errorf("preflight does not say %s appears with its first event:\n%s", sig, out)
		}
	}
	if !lineHas(out, " projection_lag ", "not judged: the legacy lag summary never receives an observation") {
		t.Errorf("preflight does not say projection_lag is not judged, with why:\n%s", out)
	}
	if !strings.Contains(out, "0 with a problem") {
		t.Errorf("preflight on the real landscape has problems:\n%s", out)
	}
	// The same landscape judged: the counters read 0 on a live exporter,
	// and the lag is N/A, so P3 passes without an override.
	code, pre := w.checkJSON("staging", "preconditions")
	if code != 0 || pre["P3"].Verdict != "PASS" {
		t.Errorf("check preconditions on the real landscape: exit %d, P3 %+v; want 0, PASS", code, pre["P3"])
	}
}

func testPreflightNamesANeverExportedMetric(t *testing.T, bin string) {
	// rust_write_error_rate judges nothing before S1, so the world comes up;
	// its metric is misspelled as a deployment with other names would have it.
	w := newE2EWorld(t, bin, func(cfg string) string {
		return strings.Replace(cfg, "\nsignals:\n", "\nsignals:\n  rust_write_error_rate:\n    query: 'sum(rate(run_googleapis_com:request_total[5m]))'\n", 1)
	})
	out, _, code := w.cockpit("preflight", "--env", "staging")
	if code != exitCheckFailed || !lineHas(out, "rust_write_error_rate", "metric run_googleapis_com:request_total has no series",
		"Change signals.rust_write_error_rate.query") {
		t.Errorf("preflight with a metric never exported: exit %d, want 1 naming the metric and what to change:\n%s", code, out)
	}
}

// prometheusFed are the default incident criteria judged from Prometheus.
var prometheusFed = []string{"write_error_spike", "frozen_writes", "unbounded_drift", "critical_drift"}

func testScrapesStoppedTwoMinutes(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.ctl("staging", "fault", "scrapes-stopped", "on")
	stopped := time.Now()
	// stale_after is 10s in the rehearsal: past it (and a scrape round
	// that may still land), for two minutes, nothing fed by Prometheus
	// reads PASS, not even the counters that never existed.
	const settle = 20 * time.Second
	polls := 0
	for time.Since(stopped) < 2*time.Minute {
		_, inc := incidentLines(t, w, "staging")
		_, pre := w.checkJSON("staging", "preconditions")
		if time.Since(stopped) >= settle {
			polls++
			for _, id := range prometheusFed {
				if inc[id].Verdict == "PASS" {
					t.Fatalf("%s after scrapes stopped %s: %+v, want never PASS", id, time.Since(stopped).Round(time.Second), inc[id])
				}
			}
			if pre["P3"].Verdict == "PASS" {
				t.Fatalf("P3 after scrapes stopped %s: %+v, want never PASS", time.Since(stopped).Round(time.Second), pre["P3"])
			}
		}
		time.Sleep(2 * time.Second)
	}
	if polls < 3 {
		t.Fatalf("only %d observations in the two minutes: the test proved nothing", polls)
	}
	_, inc := incidentLines(t, w, "staging")
	if d := inc["unbounded_drift"]; d.Verdict != "UNKNOWN" || !strings.Contains(d.Evidence, "no series, and its exporter's up is stale") {
		t.Errorf("unbounded_drift on a counter that never existed, scrapes stopped: %+v, want UNKNOWN saying why", d)
	}

	// A rollback in that state: writes do go to legacy, but nothing fresh
	// says so, so R3 is applied, never "already in place".
	w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	var applied, inPlace bool
	for _, r := range w.timeline("staging") {
		if r.Step != "rollback" || !strings.HasPrefix(r.Check, "R3 ") {
			continue
		}
		applied = applied || r.Kind == journal.KindIntent
		inPlace = inPlace || strings.Contains(r.Message, "already in place")
	}
	if !applied || inPlace {
		t.Errorf("rollback with scrapes stopped: R3 applied=%t, already in place=%t; want applied, never in place", applied, inPlace)
	}
	if st := w.state("staging"); st.WriteTarget != "legacy" || !slices.Contains(controlNames(st.Controls), "route-writes legacy") {
		t.Errorf("world after the rollback: %+v, want route-writes legacy applied", st)
	}
}

// lineHas reports whether one line of out holds every fragment.
func lineHas(out string, fragments ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(line, f)
		}
		if all {
			return true
		}
	}
	return false
}
