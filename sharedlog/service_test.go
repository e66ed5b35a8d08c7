package sharedlog

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/skew"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// A cockpit started before the owner migrated publishes nothing, says why
// once (not at every retry), and starts on its own once the owner has
// migrated: the journal's records then reach the timeline.
func TestAPublisherWaitsForTheOwnersMigrationAndSaysSoOnce(t *testing.T) {
	dbURL := testsvc.Postgres(t)
	j := machine(t, "staging")
	appendMessages(t, j, "before the migration")
	log := &testsvc.LockedBuffer{}
	s := StartSharing(SharingOptions{URL: dbURL, Env: "staging", JournalPath: j.Path(), StateDir: t.TempDir(), Operator: "alice",
		MaxSkew: skew.Default, Logger: slog.New(slog.NewTextHandler(log, nil))})
	defer s.Close()

	eventually(t, 10*time.Second, "the header's words for a missing schema", func() bool {
		return s.Problem() == "not published: schema missing or too old"
	})
	time.Sleep(900 * time.Millisecond) // a retry or two (backoff from 500 ms): each must stay silent
	if n := strings.Count(log.String(), "timeline: not published"); n != 1 {
		t.Errorf("the missing schema was logged %d times, want once:\n%s", n, log.String())
	}
	if err := Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the record published once the owner migrated", func() bool {
		recs, err := Read(t.Context(), dbURL, "staging", Trust{})
		return err == nil && len(recs) == 1 && recs[0].Message == "before the migration" && s.Problem() == ""
	})
	if !strings.Contains(log.String(), "timeline: working again") {
		t.Errorf("the log does not say publishing works again:\n%s", log.String())
	}
}

// A follower of a timeline whose role lacks the grants says so in the
// header's words and follows nothing; once granted (here: migrated, as the
// owner), it delivers another machine's records, and never this machine's
// own journal.
func TestAFollowerWaitsForTheSchemaThenDeliversOtherMachinesRecords(t *testing.T) {
	dbURL := testsvc.Postgres(t)
	own, other := machine(t, "staging"), machine(t, "staging")
	appendMessages(t, own, "mine")
	appendMessages(t, other, "theirs")
	got := make(chan []journal.Record, 8)
	f := StartFollowing(Trust{}, dbURL, "staging", own.Path(), func(recs []journal.Record) { got <- recs }, slog.New(slog.DiscardHandler))
	defer f.Close()
	eventually(t, 10*time.Second, "the follower saying the schema is missing", func() bool {
		return f.Problem() == "not followed: schema missing or too old"
	})
	if err := Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	for _, j := range []*journal.Journal{own, other} {
		p := newPublisher(t, newPool(t, dbURL), j, "staging")
		start(t, p)
		flush(t, p)
	}
	select {
	case recs := <-got:
		if m := messages(recs); len(m) != 1 || m[0] != "theirs" {
			t.Errorf("delivered %q, want only the other machine's record", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing delivered after the owner migrated and another machine published")
	}
	if f.Problem() != "" {
		t.Errorf("still a problem once delivering: %q", f.Problem())
	}
	if StartFollowing(Trust{}, "", "staging", own.Path(), nil, slog.New(slog.DiscardHandler)) != nil {
		t.Error("a follower without a URL started")
	}
}
