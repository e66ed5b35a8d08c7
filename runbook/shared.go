package runbook

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/openagents/cockpit/journal"
)

// SharedFeed holds what other machines published to the environment's
// shared timeline, in the order it arrived. The engine folds it into the
// history (an action another operator runs is open here too) and the
// screen shows it in its timeline. It is safe for concurrent use; records
// are kept for the process's life (a cutover's journal is small).
type SharedFeed struct {
	mu   sync.Mutex
	recs []journal.Record
}

// Add appends records delivered by the shared timeline's subscriber.
func (f *SharedFeed) Add(recs []journal.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, recs...)
}

// Since returns the records after the first n and the new count.
func (f *SharedFeed) Since(n int) ([]journal.Record, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n = min(max(n, 0), len(f.recs))
	return slices.Clone(f.recs[n:]), len(f.recs)
}

// Unverified labels a shared record no team key vouches for as its
// timeline row shows it, "unverified (origin, host)"; "" for a record that
// is believed (this machine's, or signed by a listed key).
func Unverified(r journal.Record) string {
	if r.Trusted() {
		return ""
	}
	return fmt.Sprintf("unverified (%s, %s)", r.Shared.Origin, cmp.Or(r.Host, "no host"))
}
