package runbook

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// TestJSONValuesAgreeWithHasValue: a firing I1 is judged from a report,
// not a number, so its JSON reads value null beside has_value false, never a
// 0 that looks measured; a signal with no data likewise; a measured value
// carries has_value true. Checked in every JSON a state is written as here:
// the incidents (status -o json) and the shared feed's wire form (the
// executor's test checks the artifacts' signal snapshot).
func TestJSONValuesAgreeWithHasValue(t *testing.T) {
	o := goodObservation(t0)
	o.parity.NoCritical = checks.Result{ID: "parity_no_critical", Verdict: checks.Fail, ObservedAt: t0,
		Evidence: checks.Evidence{Source: "parity-1.json", Value: "critical=2"}}
	o.snapshot.Samples["projection_lag"] = metrics.Sample{Signal: "projection_lag", At: t0} // no data
	st := newTestEvaluator(t, false).evaluate(o)
	var i1 *IncidentStatus
	for i, inc := range st.Incidents {
		if inc.ID == "critical_parity" {
			i1 = &st.Incidents[i]
		}
	}
	if i1 == nil || i1.State != IncidentFiring || i1.HasValue {
		t.Fatalf("critical_parity = %+v, want firing with no value", i1)
	}

	incidents, err := json.Marshal(st.Incidents)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"incidents": incidents, "wire": wire} {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := &valueCount{}
		c.walk(t, name, v)
		if c.absent == 0 || c.present == 0 {
			t.Errorf("%s: %d values absent, %d present; want both (the firing I1 or the silent signal, and a measured one)", name, c.absent, c.present)
		}
	}
	// Read back from the wire, the value is still absent.
	back, err := DecodeState(wire)
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range back.Incidents {
		if inc.ID == "critical_parity" && (inc.HasValue || inc.State != IncidentFiring) {
			t.Errorf("critical_parity read back from the wire = %+v", inc)
		}
	}
}

// valueCount counts the objects whose value is null and whose value is a
// number, failing any where value and has_value (or volume and has_volume)
// disagree.
type valueCount struct{ absent, present int }

func (c *valueCount) walk(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			c.walk(t, fmt.Sprintf("%s[%d]", path, i), e)
		}
	case map[string]any:
		for flag, field := range map[string]string{"has_value": "value", "has_volume": "volume"} {
			has, ok := x[flag].(bool)
			if !ok {
				continue
			}
			_, isNumber := x[field].(float64)
			if has != isNumber || (!has && x[field] != nil) {
				t.Errorf("%s: %s %v beside %s %v", path, flag, has, field, x[field])
			}
			if flag == "has_value" && has {
				c.present++
			} else if flag == "has_value" {
				c.absent++
			}
		}
		for k, e := range x {
			c.walk(t, path+"."+k, e)
		}
	}
}
