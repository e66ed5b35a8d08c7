package sharedlog

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// collector gathers what a Subscriber delivers.
type collector struct {
	mu   sync.Mutex
	msgs []string
}

func (c *collector) deliver(recs []journal.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, messages(recs)...)
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// subscribe runs a subscriber to env whose fallback read is too slow to
// matter, so what arrives quickly arrived by NOTIFY.
func subscribe(t *testing.T, s *Subscriber) *collector {
	t.Helper()
	s.fallback = time.Hour
	c := &collector{}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx, c.deliver) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return c
}

func TestSubscriberSeesAnotherMachineWithinTwoSeconds(t *testing.T) {
	dbURL, pool := migrated(t)
	here := machine(t, "staging")
	appendMessages(t, here, "here 1")
	hereP := newPublisher(t, pool, here, "staging")
	start(t, hereP)
	flush(t, hereP)

	sub := NewSubscriber(newPool(t, dbURL), "staging", Trust{})
	c := subscribe(t, sub)
	// What was there before it started arrives first.
	eventually(t, 5*time.Second, "the existing timeline is delivered at start", func() bool { return len(c.got()) == 1 })

	there := machine(t, "staging")
	thereP := newPublisher(t, newPool(t, dbURL), there, "staging")
	start(t, thereP)
	other := machine(t, "production")
	otherP := newPublisher(t, pool, other, "production")
	start(t, otherP)

	appendMessages(t, other, "production only")
	flush(t, otherP)
	appendMessages(t, there, "there 1", "there 2")
	thereP.Kick()
	eventually(t, 2*time.Second, "another machine's records arrive by NOTIFY", func() bool { return len(c.got()) == 3 })
	wantMessages(t, c.got(), "here 1", "there 1", "there 2")
	if originOf(t, here) == originOf(t, there) {
		t.Fatal("two machines share an origin")
	}

	// The server drops every connection; the subscriber listens again and
	// reads what was published meanwhile.
	admin := connect(t, os.Getenv("COCKPIT_TEST_DB_URL"))
	terminateBackends(t, admin, connect(t, dbURL).Config().Database)
	appendMessages(t, here, "here 2")
	hereP.Kick()
	eventually(t, 5*time.Second, "records published after a dropped connection arrive", func() bool { return len(c.got()) == 4 })
	wantMessages(t, c.got(), "here 1", "there 1", "there 2", "here 2")
	if sub.Err() != nil {
		t.Errorf("Err after recovering = %v, want nil", sub.Err())
	}
}

func TestSubscriberWaitsOutAnUnreachableDatabase(t *testing.T) {
	sub := NewSubscriber(newPool(t, closedPortURL(t)), "staging", Trust{})
	c := subscribe(t, sub)
	eventually(t, 5*time.Second, "the failed LISTEN is reported", func() bool { return sub.Err() != nil })
	if len(c.got()) != 0 {
		t.Fatalf("delivered %q from an unreachable database", c.got())
	}
}

// A machine's own journal is in its file: a subscriber told to skip it
// delivers only the others' records, whatever was published first.
func TestSubscriberSkipsItsOwnJournal(t *testing.T) {
	dbURL, pool := migrated(t)
	here := machine(t, "staging")
	hereP := newPublisher(t, pool, here, "staging")
	start(t, hereP)
	appendMessages(t, here, "mine 1")
	flush(t, hereP)

	sub := NewSubscriber(newPool(t, dbURL), "staging", Trust{})
	sub.SkipJournal(here.Path())
	c := subscribe(t, sub)

	there := machine(t, "staging")
	thereP := newPublisher(t, newPool(t, dbURL), there, "staging")
	start(t, thereP)
	appendMessages(t, there, "theirs 1")
	flush(t, thereP)
	appendMessages(t, here, "mine 2")
	flush(t, hereP)
	appendMessages(t, there, "theirs 2")
	flush(t, thereP)
	// Pages come in seq order: once "theirs 2" is here, a wrongly
	// delivered "mine 2" (published before it) would be too.
	eventually(t, 30*time.Second, "the other machine's records", func() bool { return slices.Contains(c.got(), "theirs 2") })
	wantMessages(t, c.got(), "theirs 1", "theirs 2")
}

// A page of huge rows that cannot be read within the read timeout is asked
// for again in smaller pages: the follower gets past them (it retried the
// same page forever), each a line.
func TestAFollowerGetsPastAPageTooLargeToRead(t *testing.T) {
	dbURL, pool := migrated(t)
	if _, err := pool.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
		SELECT 'staging', 'HUGE', g, jsonb_build_object('kind', 'progress', 'message', repeat(md5(g::text), 32000))
		FROM generate_series(0, 99) g`); err != nil {
		t.Fatal(err)
	}
	sub := NewSubscriber(newPool(t, dbURL), "staging", Trust{})
	sub.timeout = 2 * time.Second // 100 MB do not cross in that time; a few rows do
	c := &collector{}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { sub.Run(ctx, c.deliver) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(t, 3*time.Minute, "the 100 huge rows delivered", func() bool { return len(c.got()) == 100 })
}
