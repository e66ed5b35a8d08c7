package notify_test

import (
	"testing"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/notify"
	"github.com/openagents/cockpit/runbook"
)

// The executor journals the lock changing hands in its own words; the
// mapper tells them as lock.taken and lock.released, and nothing else a
// lock record says (a lost lease, a failed release) as either.
func TestTheExecutorsLockRecordsAreLockEvents(t *testing.T) {
	var m notify.Mapper
	for _, tc := range []struct {
		msg, want string
	}{
		{runbook.LockTakenMessage + " for S1", notify.KindLockTaken},
		{runbook.LockReleasedMessage, notify.KindLockReleased},
		{"releasing the lock: connection reset", ""},
		{"lock lost: session ended: stopping at the next safe point", ""},
	} {
		e, ok := m.FromRecord(journal.Record{Kind: journal.KindProgress, Step: "S1", Check: "lock", Operator: "alice", Message: tc.msg})
		if got := map[bool]string{true: e.Kind}[ok]; got != tc.want {
			t.Errorf("%q: event %q, want %q", tc.msg, got, tc.want)
		}
	}
}
