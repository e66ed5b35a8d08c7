package runbook

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A follower fed 100 large signed rows (1 MiB each, more than any publisher
// sends) keeps a window of at most sharedKeepBytes: its heap grows by that
// window, never by the rows (37 → 552 MB before the bound).
func TestTheSharedWindowIsBoundedInBytes(t *testing.T) {
	feed := &SharedFeed{}
	before := heapInUse()
	for i := range 100 {
		feed.Add([]journal.Record{{Time: t0, Kind: journal.KindProgress, Operator: "alice",
			Message: strings.Repeat(string(rune('a'+i%26)), 1<<20), Shared: &journal.Provenance{Origin: "A", Verified: true}}})
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("100 rows of 1 MiB: window %d bytes, heap grew %.1f MB", feed.Bytes(), float64(grown)/(1<<20))
	if feed.Bytes() > sharedKeepBytes || grown > 2*sharedKeepBytes {
		t.Fatalf("window %d bytes, heap +%d: want at most %d", feed.Bytes(), grown, sharedKeepBytes)
	}
	recs, next := feed.Since(0)
	if next != 100 || len(recs) == 0 || len(recs) >= 100 || recs[len(recs)-1].Message[0] != 'a'+99%26 {
		t.Fatalf("Since(0) after trimming: %d records, next %d: want the newest few and next 100", len(recs), next)
	}
	if again, n := feed.Since(next); len(again) != 0 || n != next {
		t.Errorf("Since(next) = %d records, %d: want none", len(again), n)
	}
}

// A flood of unverified rows costs its own small budget: it never pushes
// a signed record out of the window, and the window stays bounded in count.
func TestAFloodOfForgedRowsNeverEvictsSignedOnes(t *testing.T) {
	feed := &SharedFeed{}
	signed := journal.Record{Time: t0, Kind: journal.KindOutcome, Step: "S1", Operator: "alice", OK: ok(),
		Shared: &journal.Provenance{Origin: "A", Verified: true}}
	forged := make([]journal.Record, 5*sharedKeep)
	for i := range forged {
		forged[i] = journal.Record{Time: t0.Add(time.Duration(i)), Kind: journal.KindApproval, Step: "S1",
			Shared: &journal.Provenance{Origin: "FORGED", Problem: "unsigned"}}
	}
	feed.Add(append([]journal.Record{signed}, forged...))
	recs, next := feed.Since(0)
	if next != 1+len(forged) || len(recs) != 1+unverifiedKeep || recs[0].Step != "S1" || !recs[0].Trusted() {
		t.Fatalf("after %d forged rows: %d kept (next %d), first %+v: want the signed outcome and %d forged",
			len(forged), len(recs), next, recs[0], unverifiedKeep)
	}
	for range 3 {
		feed.Add([]journal.Record{signed})
	}
	if recs, _ := feed.Since(next); len(recs) != 3 {
		t.Errorf("a reader caught up gets %d new records, want 3", len(recs))
	}
}
