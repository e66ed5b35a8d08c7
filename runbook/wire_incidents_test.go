package runbook

import (
	"strings"
	"testing"
	"time"
)

// DecodeIncidents reads a published state's incidents as DecodeState
// does, cleaned, and refuses what DecodeState refuses: another format, a
// state it does not know.
func TestDecodeIncidentsReadsOnlyTheIncidents(t *testing.T) {
	s := State{Env: "staging", At: time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC),
		Items: []ItemStatus{{Item: FindItem(RunbookItems(), "S1")}},
		Incidents: []IncidentStatus{
			{ID: "write_error_spike", Runbook: "I2", State: IncidentFiring, Value: 0.3, HasValue: true, Evidence: "spike\x1b[2J"},
			{ID: "unbounded_drift", Runbook: "I3", State: IncidentOK},
		}}
	b, err := EncodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeIncidents(b)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != whole.Incidents[0] || got[1] != whole.Incidents[1] || strings.Contains(got[0].Evidence, "\x1b") {
		t.Fatalf("DecodeIncidents read %+v; DecodeState %+v", got, whole.Incidents)
	}
	bad := strings.Replace(string(b), `"state":"firing"`, `"state":"exploded"`, 1)
	if _, err := DecodeIncidents([]byte(bad)); err == nil || !strings.Contains(err.Error(), `state "exploded"`) {
		t.Errorf("an unknown incident state: %v", err)
	}
	if _, err := DecodeIncidents([]byte(`{"format":"other/v9","state":{}}`)); err == nil || !strings.Contains(err.Error(), "another version") {
		t.Errorf("a foreign format: %v", err)
	}
}
