package recording

import (
	"log/slog"

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
