package notify

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
)

// TestTheGuardsStatesAreEvents: each state the guard journals is told
// under its own kind with its sentence; its cancel request and its own
// acting are not (the executor's records tell the rollback).
func TestTheGuardsStatesAreEvents(t *testing.T) {
	var m Mapper
	for _, tc := range []struct {
		verdict, kind string
	}{
		{"advised", KindGuardAdvised}, {"countdown", KindGuardCountdown}, {"holding", KindGuardHolding},
		{"cancelled", KindGuardCancelled}, {"acted", KindGuardActed}, {"cancel", ""}, {"acting", ""}, {"idle", ""},
	} {
		e, ok := m.FromRecord(journal.Record{Kind: journal.KindGuard, Check: "I2 write_error_spike", Verdict: tc.verdict,
			Message: "I2 write error spike firing 40s: rollback in 0:10 — press c to cancel"})
		if ok != (tc.kind != "") || e.Kind != tc.kind {
			t.Errorf("guard %s: event %q (%v), want %q", tc.verdict, e.Kind, ok, tc.kind)
		}
		if ok {
			if msg, err := (text{}).render(e); err != nil || !strings.Contains(msg, "rollback in 0:10") {
				t.Errorf("guard %s renders %q, %v", tc.verdict, msg, err)
			}
		}
	}
}
