package recording

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

var t0 = time.Date(2026, 12, 7, 13, 42, 0, 0, time.UTC)

// round is a state like a rehearsal round i seconds after t0: every item
// with its checks, the incidents, six signals with a sparkline each; the
// values and ages move every round, the error ratio spikes from round 30.
func round(i int) runbook.State {
	at := t0.Add(time.Duration(i) * time.Second)
	age := time.Duration(i%3) * time.Second
	spike := 0.003
	incident := runbook.IncidentOK
	if i >= 30 {
		spike, incident = 0.09, runbook.IncidentFiring
	}
	st := runbook.State{Env: "staging", At: at,
		Observed: runbook.Observed{CohortPercent: math.NaN(),
			RustWriteMode: result("mode", checks.Pass, "rust_active", age, at)},
		Incidents: []runbook.IncidentStatus{
			{ID: "write_error_spike", Runbook: "I2", Title: "write error spike", State: incident, Value: spike, HasValue: true,
				Threshold: 0.02, Comparator: ">", Unit: "ratio", At: at, Evidence: "sum(rate(…)) → " + checks.FormatAge(age)},
			{ID: "critical_parity", Runbook: "I1", Title: "critical parity", State: runbook.IncidentOK, HasValue: true, Comparator: ">", At: at},
		},
		Snapshot: metrics.Snapshot{Seq: uint64(i), At: at, Samples: map[string]metrics.Sample{}},
		Health:   []checks.Result{result("rust.health", checks.Pass, "ok", age, at), result("legacy.health", checks.Pass, "ok", age, at)},
	}
	for _, it := range runbook.RunbookItems() {
		st.Items = append(st.Items, runbook.ItemStatus{Item: it, Verdict: checks.Pass,
			Checks: []checks.Result{result(it.ID+".a", checks.Pass, "fine", age, at), result(it.ID+".b", checks.Warn, "meh", age, at)}})
	}
	for k, name := range []string{"rust_write_error_rate", "legacy_write_error_rate", "legacy_http_5xx_ratio", "rust_write_share", "projection_lag", "drift_events"} {
		v := float64(k) + float64(i%7)/100
		if k == 0 {
			v = spike
		}
		var hist []metrics.Point
		for p := range 60 {
			hist = append(hist, metrics.Point{T: at.Add(time.Duration(p-60) * 10 * time.Second).Truncate(10 * time.Second), V: float64(p % 5)})
		}
		st.Snapshot.Samples[name] = metrics.Sample{Signal: name, Query: "sum(rate(" + name + "[1m]))", Value: v, HasValue: true,
			Series: 1, History: hist, At: at, DataAt: at.Add(-age), Window: time.Minute}
	}
	return st
}

func result(id string, v checks.Verdict, value string, age time.Duration, at time.Time) checks.Result {
	return checks.Result{ID: id, Title: id, Verdict: v, ObservedAt: at,
		Evidence: checks.Evidence{Source: "http://runtime/healthz", Value: value, Rule: "== ok", Age: age}}
}

// sameRound fails unless got is want as the feed would carry it.
func sameRound(t *testing.T, got Round, want runbook.State) {
	t.Helper()
	b, err := runbook.EncodeState(want)
	if err != nil {
		t.Fatal(err)
	}
	var a, w any
	if err := json.Unmarshal(got.JSON(), &a); err != nil {
		t.Fatalf("the round at %s is no JSON: %v", got.At, err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, w) {
		t.Fatalf("the round at %s differs from what was recorded:\n got %.300s…\nwant %.300s…", got.At, got.JSON(), b)
	}
	if _, err := got.State(); err != nil {
		t.Fatalf("the round at %s does not decode: %v", got.At, err)
	}
}

// readAll reads every round of dir in q.
func readAll(t *testing.T, dir string, q Query) ([]Round, []string) {
	t.Helper()
	var rounds []Round
	notes, err := Read(dir, q, func(r Round) error {
		rounds = append(rounds, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rounds, notes
}

// record records states 0..n-1 with o and closes the recorder.
func record(t *testing.T, o Options, n int) {
	t.Helper()
	r, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r.Record(round(i))
		waitQueued(t, r)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// waitQueued waits until the writer took every queued round, so a test
// that means to record each one never fills the queue.
func waitQueued(t *testing.T, r *Recorder) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the writer took no round for 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
