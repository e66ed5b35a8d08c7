package notify_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/notify"
)

// What was journaled before the process is history, not news; a step
// started after it is told; a target that refuses is journaled as not
// delivered (kind notify) and counted, and that record is never told.
func TestJournaledTellsOnlyNewRecordsAndJournalsWhatWasNotDelivered(t *testing.T) {
	ok, refusing := newReceiver(t), newReceiver(t, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound)
	j, err := journal.Open(journal.Path(t.TempDir(), "prod"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	j.SetDefaults("prod", "alice", "ops1", "cfg")
	if err := j.Append(journal.Record{Kind: journal.KindIntent, Step: "S1", Operator: "alice", Message: "before"}); err != nil {
		t.Fatal(err)
	}
	s := notify.FromJournal(notify.Config{Targets: []notify.Target{
		{Name: "slack", URL: ok.url(), Format: notify.FormatJSON, Events: notify.Kinds()},
		{Name: "gone", URL: refusing.url(), Format: notify.FormatJSON, Events: notify.Kinds(), Timeout: time.Second},
	}}, j, slog.New(slog.DiscardHandler))
	failed := make(chan string, 4)
	s.CountFailures(func(target string) { failed <- target })
	if err := j.Append(journal.Record{Kind: journal.KindIntent, Step: "S2", Operator: "alice", Message: "now"}); err != nil {
		t.Fatal(err)
	}
	bodies := ok.waitBodies(t, 1, 30*time.Second)
	if !strings.Contains(bodies[0], `"step":"S2"`) {
		t.Errorf("told %s, want S2's start (S1 was history)", bodies[0])
	}
	select {
	case target := <-failed:
		if target != "gone" {
			t.Errorf("failure counted for %q, want gone", target)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the refusing target's failure was never counted")
	}
	s.Close()
	var notified []journal.Record
	if _, err := journal.NewTail(j.Path()).Each(func(r journal.Record) error {
		if r.Kind == journal.KindNotify {
			notified = append(notified, r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(notified) != 1 || !strings.Contains(notified[0].Message, "notification to gone not delivered") {
		t.Errorf("journaled %v, want one not-delivered record for gone", notified)
	}
	if got := ok.got(); len(got) != 1 {
		t.Errorf("slack got %d messages, want only S2's start (a notify record is never told): %q", len(got), got)
	}
	if notify.FromJournal(notify.Config{}, j, slog.New(slog.DiscardHandler)) != nil {
		t.Error("a config without targets started notifying")
	}
}
