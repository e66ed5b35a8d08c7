package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/notify"
)

// The executor and the locker journal the lock changing hands in their own
// words; the mapper tells them as lock.taken and lock.released, a release
// that did not happen cleanly (lost while held, a failed release, a holder
// killed holding it) as lock.released with Verdict LOST: every lock taken
// is told released or lost. Other lock records are not events.
func TestTheExecutorsLockRecordsAreLockEvents(t *testing.T) {
	var m notify.Mapper
	killed := lock.Holder{Operator: "carol", Host: "ops1", PID: 4242, Step: "S1", Since: time.Now().Add(-time.Minute)}
	for _, tc := range []struct {
		msg, want, verdict string
	}{
		{executor.LockTakenMessage + " for S1", notify.KindLockTaken, ""},
		{executor.LockReleasedMessage, notify.KindLockReleased, ""},
		{executor.LockLostMessage + ": releasing it failed: connection reset", notify.KindLockReleased, notify.VerdictLockLost},
		{executor.LockLostMessage + ": the advisory lock's database session was lost: EOF: stopping at the next safe point", notify.KindLockReleased, notify.VerdictLockLost},
		{lock.AbandonedNote(killed, time.Now()), notify.KindLockReleased, notify.VerdictLockLost},
		{"took the lock over from carol@ops1 pid 4242 (S1)", "", ""},
	} {
		e, ok := m.FromRecord(journal.Record{Kind: journal.KindProgress, Step: "S1", Check: "lock", Operator: "alice", Message: tc.msg})
		if got := map[bool]string{true: e.Kind}[ok]; got != tc.want || e.Verdict != tc.verdict {
			t.Errorf("%q: event %q verdict %q, want %q %q", tc.msg, got, e.Verdict, tc.want, tc.verdict)
		}
	}
}

// A lost lock reads as lost to the team, naming what happened; a clean
// release as released.
func TestALostLockIsToldLost(t *testing.T) {
	slack := newReceiver(t)
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "ops", URL: slack.url(), Format: notify.FormatSlack, Events: []string{notify.KindLockTaken, notify.KindLockReleased}},
	}}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	killed := lock.Holder{Operator: "carol", Host: "ops1", PID: 4242, Step: "S1"}
	for _, msg := range []string{lock.AbandonedNote(killed, time.Now()), executor.LockTakenMessage + " for rollback", executor.LockReleasedMessage} {
		n.Record(journal.Record{Kind: journal.KindProgress, Env: "prod", Step: "rollback", Check: "lock", Operator: "bob", Message: msg})
	}
	closeWithin(t, n, 5*time.Second)
	got := strings.Join(slack.got(), "\n")
	for _, want := range []string{
		`[prod] lock LOST (bob, rollback) — lock abandoned: carol@ops1 pid 4242 took it for S1 and ended without releasing it`,
		`[prod] lock taken by bob (lock taken for rollback)`,
		`[prod] lock released by bob (lock released)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("slack did not get %q:\n%s", want, got)
		}
	}
}
