package runbook

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// A state crosses the observation feed whole: NaN, errors (as messages),
// items, incidents, history; hostile text is cleaned on the way in.
func TestStateSurvivesTheObservationFeed(t *testing.T) {
	at := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	s := State{Env: "staging", At: at,
		Observed: Observed{CohortPercent: math.NaN(), RustWriteMode: checks.Result{ID: "mode", Verdict: checks.Pass,
			Evidence: checks.Evidence{Value: "rust_active\x1b[2J"}}},
		Items: []ItemStatus{{Item: FindItem(RunbookItems(), "S1"), Verdict: checks.Pass,
			Progress: StepProgress{State: Running, At: at, Operator: "alice", Detail: "set_legacy_freeze=true"}}},
		Incidents: []IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: IncidentPending, Value: 0.03, HasValue: true, PendingFor: time.Minute}},
		Snapshot: metrics.Snapshot{Seq: 3, At: at, Samples: map[string]metrics.Sample{
			"rust_write_error_rate": {Signal: "rust_write_error_rate", Value: math.NaN(), HasValue: true, History: []metrics.Point{{T: at, V: 0.1}},
				Err: errors.New("prometheus: bad_data")}}},
		History: History{Done: map[string]time.Time{"S1": at}, Err: errors.New("journal: torn line")},
	}
	b, err := EncodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	smp := got.Snapshot.Samples["rust_write_error_rate"]
	switch {
	case !math.IsNaN(got.Observed.CohortPercent) || !math.IsNaN(smp.Value) || len(smp.History) != 1:
		t.Errorf("NaN or history lost: cohort %v, value %v, history %v", got.Observed.CohortPercent, smp.Value, smp.History)
	case smp.Err == nil || smp.Err.Error() != "prometheus: bad_data" || got.History.Err == nil:
		t.Errorf("errors lost: %v, %v", smp.Err, got.History.Err)
	case got.Items[0].Item.ID != "S1" || got.Items[0].Progress.Operator != "alice" || !got.At.Equal(at):
		t.Errorf("items or time lost: %+v", got.Items[0])
	case got.Incidents[0].State != IncidentPending || got.Incidents[0].PendingFor != time.Minute:
		t.Errorf("incident lost: %+v", got.Incidents[0])
	case strings.Contains(got.Observed.RustWriteMode.Evidence.Value, "\x1b"):
		t.Errorf("hostile text not cleaned: %q", got.Observed.RustWriteMode.Evidence.Value)
	}
	if s.Snapshot.Samples["rust_write_error_rate"].Err == nil {
		t.Error("encoding changed the caller's state")
	}
	if _, err := DecodeState([]byte(`{"format":"other/v9","state":""}`)); err == nil || !strings.Contains(err.Error(), "another version") {
		t.Errorf("a foreign format: %v", err)
	}
}
