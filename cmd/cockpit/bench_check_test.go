package main

import (
	"testing"
	"time"
)

// BenchmarkCheckAll measures `cockpit check all` against a rehearsal world
// next to the slowest of its single parts (preconditions, verify,
// incidents), each a whole process as a pipeline runs it. The budget
// (docs/design.md §9) is all ≤ slowest single + 10 ms: everything is
// observed concurrently, so asking for more must not cost the sum.
// Reported, not asserted:
//
//	go test ./cmd/cockpit -run '^$' -bench CheckAll -benchtime 20x
func BenchmarkCheckAll(b *testing.B) {
	w := newE2EWorld(b, cockpitBinary(b), nil)
	timed := func(what string) time.Duration {
		start := time.Now()
		w.cockpit("check", what, "--env", "staging")
		return time.Since(start)
	}
	var all, slowest time.Duration
	for b.Loop() {
		all += timed("all")
		var worst time.Duration
		for _, part := range []string{"preconditions", "verify", "incidents"} {
			worst = max(worst, timed(part))
		}
		slowest += worst
	}
	n := float64(b.N)
	b.ReportMetric(float64(all.Milliseconds())/n, "all-ms/op")
	b.ReportMetric(float64(slowest.Milliseconds())/n, "slowest-single-ms/op")
	b.ReportMetric(float64((all-slowest).Milliseconds())/n, "over-slowest-ms/op")
}
