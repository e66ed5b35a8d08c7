package runbook

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/openagents/cockpit/journal"
)

// The window of shared records a follower keeps: the newest sharedKeep,
// at most sharedKeepBytes of them, of which at most unverifiedKeep no team
// key signed. Readers (the history, the screen's timeline) take what is new
// every round, long before it leaves the window; what stays is for a reader
// that starts late. A flood of forged or huge rows costs lines, never memory,
// and never pushes a signed record out before the readers took it.
const (
	sharedKeep      = 2000
	sharedKeepBytes = 8 << 20
	unverifiedKeep  = 200
)

// SharedFeed holds what other machines published to the environment's
// shared timeline, in the order it arrived, within a bounded window. The
// engine folds it into the history (an action another operator runs is
// open here too) and the screen shows it in its timeline. It is safe for
// concurrent use.
type SharedFeed struct {
	mu         sync.Mutex
	entries    []sharedEntry
	next       int // the number the next record gets
	bytes      int // sum of the entries' sizes
	unverified int // entries no team key vouches for
}

// sharedEntry is one kept record, numbered in arrival order.
type sharedEntry struct {
	n    int
	size int
	rec  journal.Record
}

// Add appends records delivered by the shared timeline's subscriber, then
// trims the window.
func (f *SharedFeed) Add(recs []journal.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range recs {
		e := sharedEntry{n: f.next, size: recordSize(r), rec: r}
		f.next++
		f.entries = append(f.entries, e)
		f.bytes += e.size
		if !r.Trusted() {
			f.unverified++
		}
	}
	f.trim()
}

// trim drops the oldest unverified records past their budget, then the
// oldest records while the window is over its count or bytes.
func (f *SharedFeed) trim() {
	if extra := f.unverified - unverifiedKeep; extra > 0 {
		kept := f.entries[:0]
		for _, e := range f.entries {
			if extra > 0 && !e.rec.Trusted() {
				extra--
				f.drop(e)
				continue
			}
			kept = append(kept, e)
		}
		clear(f.entries[len(kept):])
		f.entries = kept
	}
	i := 0
	for ; i < len(f.entries) && (len(f.entries)-i > sharedKeep || f.bytes > sharedKeepBytes); i++ {
		f.drop(f.entries[i])
	}
	if i > 0 {
		f.entries = slices.Clone(f.entries[i:]) // let the old backing array go
	}
}

func (f *SharedFeed) drop(e sharedEntry) {
	f.bytes -= e.size
	if !e.rec.Trusted() {
		f.unverified--
	}
}

// Since returns the kept records numbered n and after, and the number the
// next call passes: a reader that fell behind the window gets what is left.
func (f *SharedFeed) Since(n int) ([]journal.Record, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, _ := slices.BinarySearchFunc(f.entries, n, func(e sharedEntry, n int) int { return cmp.Compare(e.n, n) })
	out := make([]journal.Record, 0, len(f.entries)-i)
	for _, e := range f.entries[i:] {
		out = append(out, e.rec)
	}
	return out, f.next
}

// Bytes is about how much memory the kept records hold.
func (f *SharedFeed) Bytes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes
}

// recordSize estimates a record's memory: its strings and a fixed part.
func recordSize(r journal.Record) int {
	n := 256 + len(r.Kind) + len(r.Env) + len(r.Operator) + len(r.Host) + len(r.ConfigHash) + len(r.Step) +
		len(r.Check) + len(r.Verdict) + len(r.Evidence) + len(r.Message) + len(r.Reason)
	for _, a := range r.Argv {
		n += 16 + len(a)
	}
	if r.Shared != nil {
		n += 64 + len(r.Shared.Origin) + len(r.Shared.Problem)
	}
	return n
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
