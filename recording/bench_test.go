package recording

import (
	"log/slog"
	"os"
	"time"

	"github.com/openagents/cockpit/runbook"
	"testing"
)

// BenchmarkAppend is the writer's cost per round, from the state to the
// flushed segment: encoding it as the feed does, cutting it into parts,
// the changed parts' frame, gzip.
func BenchmarkAppend(b *testing.B) {
	r := &Recorder{o: Options{Dir: b.TempDir(), Process: "bench", MaxBytes: DefaultMaxBytes, SegmentEvery: DefaultSegmentEvery, create: createFile}}
	r.o.Logger = slog.New(slog.DiscardHandler)
	states := make([]runbook.State, 64)
	for i := range states {
		states[i] = round(i)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := r.write(states[i%len(states)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if r.seg != nil {
		b.ReportMetric(float64(r.seg.count.n)/float64(b.N), "bytes/round")
		_ = r.seg.close()
	}
}

// BenchmarkAppendRecordedRounds is BenchmarkAppend over real rounds: those
// of the recording at $COCKPIT_RECORDING (e.g. a rehearsal world's
// <state_dir>/staging/recording after a watch), written again in their
// order. It reports what a round costs on disk and what an hour of 1 s
// rounds would, full frames of 10-minute segments included.
func BenchmarkAppendRecordedRounds(b *testing.B) {
	dir := os.Getenv("COCKPIT_RECORDING")
	if dir == "" {
		b.Skip("set COCKPIT_RECORDING to a recording directory")
	}
	var states []runbook.State
	if _, err := Read(dir, Query{}, func(r Round) error {
		st, err := r.State()
		states = append(states, st)
		return err
	}); err != nil || len(states) < 2 {
		b.Fatalf("%d rounds in %s: %v", len(states), dir, err)
	}
	r := &Recorder{o: Options{Dir: b.TempDir(), Process: "bench", MaxBytes: DefaultMaxBytes, SegmentEvery: 1000 * time.Hour,
		Logger: slog.New(slog.DiscardHandler), create: createFile}}
	full := int64(0)
	b.ResetTimer()
	for i := range b.N {
		if err := r.write(states[i%len(states)]); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			full = r.seg.count.n
		}
	}
	b.StopTimer()
	perRound := float64(r.seg.count.n-full) / float64(max(b.N-1, 1))
	b.ReportMetric(perRound, "bytes/round")
	b.ReportMetric(float64(full), "bytes/full-frame")
	b.ReportMetric((3600*perRound+6*float64(full))/(1<<20), "MiB/hour")
	_ = r.seg.close()
}
