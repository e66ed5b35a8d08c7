package notify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/notify"
)

// TestAPendingThatClearsIsNeverResolvedToSlack: a Slack target told
// incidents (pending, firing, resolved) hears an incident that went
// pending then ok only as pending, never "resolved"; one that fired then
// cleared, as firing then resolved. (Issue 15: a Slack target got
// "resolved" for an incident that was only pending.)
func TestAPendingThatClearsIsNeverResolvedToSlack(t *testing.T) {
	slack := newReceiver(t)
	n, err := notify.New(notify.Config{Targets: []notify.Target{{Name: "ops-slack", URL: slack.url(), Format: notify.FormatSlack,
		Events: []string{notify.KindIncidentPending, notify.KindIncidentFiring, notify.KindIncidentResolved}}}}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(check, state, evidence string) {
		n.Record(journal.Record{Kind: journal.KindVerdict, Env: "prod", Check: check, Verdict: state, Evidence: evidence})
	}
	verdict("I2 write_error_spike", "pending", "2.4% > 2% for 10m")
	verdict("I2 write_error_spike", "ok", "0.3%") // cleared before it fired
	verdict("W exactly_one_writer", "pending", "neither accepts writes")
	verdict("W exactly_one_writer", "firing", "neither accepts writes for 2m")
	verdict("W exactly_one_writer", "ok", "rust accepts writes")
	closeWithin(t, n, 5*time.Second)
	want := []string{
		"[prod] incident I2 write_error_spike pending — 2.4% &gt; 2% for 10m",
		"[prod] incident W exactly_one_writer pending — neither accepts writes",
		"[prod] incident W exactly_one_writer FIRING — neither accepts writes for 2m",
		"[prod] incident W exactly_one_writer resolved — rust accepts writes",
	}
	var got []string
	for _, b := range slack.got() {
		var body struct{ Text string }
		if err := json.Unmarshal([]byte(b), &body); err != nil {
			t.Fatal(err)
		}
		got = append(got, body.Text)
	}
	if len(got) != len(want) {
		t.Fatalf("slack got %d messages, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %q, want %q", i, got[i], want[i])
		}
	}
}
