package sharedlog

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

func TestPublisherFlushesJournalInOrder(t *testing.T) {
	dbURL, pool := migrated(t)
	j := machine(t, "staging")
	appendMessages(t, j, "one", "two", "three")
	p := newPublisher(t, pool, j, "staging")
	start(t, p)
	flush(t, p)
	wantMessages(t, sharedMessages(t, dbURL, "staging"), "one", "two", "three")
	if st := p.Status(); st.Pending != 0 || st.Err != nil {
		t.Fatalf("Status after Flush = %+v, want nothing pending, no error", st)
	}

	appendMessages(t, j, "four", "five")
	p.Kick()
	eventually(t, 5*time.Second, "kicked records reach the shared timeline", func() bool {
		return len(sharedMessages(t, dbURL, "staging")) == 5
	})
	wantMessages(t, sharedMessages(t, dbURL, "staging"), "one", "two", "three", "four", "five")

	st, err := os.Stat(originPath(j.Path()))
	if err != nil {
		t.Fatalf("origin file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("origin file mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestPublisherRestartInsertsNoDuplicates(t *testing.T) {
	dbURL, pool := migrated(t)
	j := machine(t, "staging")
	appendMessages(t, j, "one", "two")
	first := newPublisher(t, pool, j, "staging")
	stop := start(t, first)
	flush(t, first)
	stop()
	origin := originOf(t, j)

	// A restarted cockpit reads its journal from the start again.
	appendMessages(t, j, "three")
	second := newPublisher(t, pool, j, "staging")
	start(t, second)
	flush(t, second)
	wantMessages(t, sharedMessages(t, dbURL, "staging"), "one", "two", "three")
	if got := originOf(t, j); got != origin {
		t.Errorf("origin changed across restarts: %q then %q", origin, got)
	}

	// Even without the max-offset shortcut, ON CONFLICT keeps it at one
	// row per record.
	if err := insertBatch(t.Context(), pool, "staging", []queued{{origin: origin, offset: 0, record: []byte(`{"kind":"progress","message":"again"}`)}}); err != nil {
		t.Fatalf("insertBatch: %v", err)
	}
	wantMessages(t, sharedMessages(t, dbURL, "staging"), "one", "two", "three")
}

// A journal replaced by a new history (deleted, its origin file kept)
// starts its offsets at 0 again: it must get a new origin, or its records
// would pass for published, whether the publisher saw the replacement or
// was stopped meanwhile.
func TestPublisherReplacedJournalGetsNewOrigin(t *testing.T) {
	for _, stopped := range []bool{false, true} {
		t.Run(fmt.Sprintf("stopped=%t", stopped), func(t *testing.T) {
			dbURL, pool := migrated(t)
			j := machine(t, "staging")
			appendMessages(t, j, "old one", "old two", "old three")
			p := newPublisher(t, pool, j, "staging")
			stop := start(t, p)
			flush(t, p)
			origin := originOf(t, j)
			if stopped {
				stop()
			}

			if err := os.Remove(j.Path()); err != nil {
				t.Fatal(err)
			}
			replaced, err := journal.Open(j.Path())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = replaced.Close() })
			appendMessages(t, replaced, "new one")
			if stopped {
				p = newPublisher(t, pool, replaced, "staging")
				start(t, p)
			}
			flush(t, p)
			wantMessages(t, sharedMessages(t, dbURL, "staging"), "old one", "old two", "old three", "new one")
			if originOf(t, j) == origin {
				t.Errorf("origin kept for a new journal file; its offsets collide with the old one's")
			}
		})
	}
}
