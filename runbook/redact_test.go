package runbook

import (
	"errors"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
)

// TestStateRedactedHidesEveryOutsideText: a round whose evidence, progress,
// incident, sample error and source quote a secret is handed on (to the
// screen, the shared feed) without it, the sample error still a
// *metrics.QueryError; the engine's own round is left as it was.
func TestStateRedactedHidesEveryOutsideText(t *testing.T) {
	const secret = "tok-0123456789abcdef"
	url := "http://prom/api/v1/query?token=" + secret
	res := checks.Result{ID: "rust_health", Evidence: checks.Evidence{Source: url, Value: secret, Rule: secret, Reason: secret}}
	st := State{
		Observed:  Observed{RustWriteMode: res, LegacyFreeze: res, WriteTarget: res},
		Items:     []ItemStatus{{Item: &Item{ID: "P3"}, Checks: []checks.Result{res}, Progress: StepProgress{Detail: url}}},
		Incidents: []IncidentStatus{{ID: "write_error_spike", Evidence: url}},
		Snapshot: metrics.Snapshot{Samples: map[string]metrics.Sample{"error_rate": {
			Err: &metrics.QueryError{Query: "up", Msg: "Post " + url}, Warnings: []string{url}}}},
		Parity: ParityStatus{Result: res}, Health: []checks.Result{res}, Checkpoints: res, Staging: res,
		Source: "feed at " + url,
	}
	before := st.Items[0].Checks[0].Evidence.Source
	got := st.Redacted(journal.NewRedactor(secret).Redact)
	var qe *metrics.QueryError
	if !errors.As(got.Snapshot.Samples["error_rate"].Err, &qe) {
		t.Errorf("the sample error lost its type: %T", got.Snapshot.Samples["error_rate"].Err)
	}
	shown := []string{got.Observed.RustWriteMode.Evidence.String(), got.Observed.LegacyFreeze.Evidence.String(),
		got.Observed.WriteTarget.Evidence.String(), got.Items[0].Checks[0].Evidence.String(), got.Items[0].Progress.Detail,
		got.Incidents[0].Evidence, got.Snapshot.Samples["error_rate"].Err.Error(), got.Snapshot.Samples["error_rate"].Warnings[0],
		got.Parity.Result.Evidence.String(), got.Health[0].Evidence.String(), got.Checkpoints.Evidence.String(),
		got.Staging.Evidence.String(), got.Source}
	for i, s := range shown {
		if strings.Contains(s, secret) || !strings.Contains(s, journal.Redacted) {
			t.Errorf("text %d of the round: %q", i, s)
		}
	}
	if st.Items[0].Checks[0].Evidence.Source != before || !strings.Contains(st.Snapshot.Samples["error_rate"].Warnings[0], secret) {
		t.Error("Redacted wrote into the round it was given (the engine's own values)")
	}
}
