package recording

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
)

// A full disk under the recording (a real tmpfs, filled to the byte):
// recording stops for good and says why, once; the rounds go on (Record
// returns at once); what was recorded before still reads.
func TestAFullDiskStopsTheRecordingNotTheRounds(t *testing.T) {
	disk := testsvc.SmallDisk(t, 256<<10)
	dir := Dir(disk, "staging")
	var stops atomic.Int32
	var why atomic.Value
	r, err := Start(Options{Dir: dir, Process: "watch", SegmentEvery: 5 * time.Second,
		OnStop: func(w string) { stops.Add(1); why.Store(w) }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	for i := range 10 {
		r.Record(round(i))
		waitQueued(t, r)
	}
	waitFor(t, func() bool { return segmentFrames(t, dir) == 10 })
	free := testsvc.FillDisk(t, disk)
	defer free()
	for i := 10; i < 2000 && r.Stopped() == ""; i++ {
		start := time.Now()
		r.Record(round(i))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Record took %v on a full disk: a round waited for the recording", d)
		}
		if i%16 == 0 {
			waitQueued(t, r)
		}
	}
	waitFor(t, func() bool { return r.Stopped() != "" })
	if got := r.Stopped(); !strings.HasPrefix(got, "recording stopped: ") || !strings.Contains(got, "no space left on device") {
		t.Fatalf("Stopped() = %q, want recording stopped and the disk's error", got)
	}
	if n := stops.Load(); n != 1 {
		t.Fatalf("OnStop called %d times, want once", n)
	}
	if w, _ := why.Load().(string); !strings.Contains(w, dir) {
		t.Errorf("the journaled reason %q does not name the recording", w)
	}
	for i := range 100 { // stopped: each round is dropped at once
		r.Record(round(i))
	}
	rounds, _ := readAll(t, dir, Query{})
	if len(rounds) < 10 {
		t.Fatalf("%d rounds read after the disk filled, want at least the 10 before", len(rounds))
	}
	sameRound(t, rounds[9], round(9))
}

// hungDisk is a disk whose writes never return (a hung NFS mount): a fake,
// because no real disk hangs on demand.
type hungDisk struct{ hung, release chan struct{} }

func (h hungDisk) Write(p []byte) (int, error) {
	select {
	case h.hung <- struct{}{}:
	default:
	}
	<-h.release
	return len(p), nil
}

func (h hungDisk) Close() error { return nil }

// A disk that hangs never holds a round: Record returns at once, the
// queue fills, and the rounds past it are dropped and counted.
func TestAHungDiskNeverHoldsARound(t *testing.T) {
	h := hungDisk{hung: make(chan struct{}, 1), release: make(chan struct{})}
	r, err := Start(Options{Dir: t.TempDir(), Process: "operate",
		create: func(string) (io.WriteCloser, error) { return h, nil },
		// Once released, the 16 queued rounds must all be written: on a
		// busy machine under -race that takes longer than Close's 2s.
		closeWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r.Record(round(0))
	<-h.hung // the writer is stuck in its first write
	st := round(1)
	start := time.Now()
	for range 200 {
		r.Record(st)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("200 rounds took %v to hand over to a hung disk", d)
	}
	if n := r.dropped.Load(); n != 200-queueRounds {
		t.Fatalf("%d rounds counted as dropped, want the %d past the queue", n, 200-queueRounds)
	}
	close(h.release)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
