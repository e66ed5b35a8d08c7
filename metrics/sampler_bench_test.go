package metrics

import (
	"context"
	"testing"

	"github.com/openagents/cockpit/config"
)

// BenchmarkSamplerTick measures one tick of six signals shaped like the
// default ones (ratios of rates, gauges, a volume query) against the scraping
// store, batched (one request a round) and with every signal asked alone (a
// round after a batch failed), and reports the requests each tick sends.
func BenchmarkSamplerTick(b *testing.B) {
	signals := map[string]*config.Signal{
		"ratio":  signal("ratio", "max(demo_error_ratio)"),
		"rate":   signal("rate", "sum(rate(demo_served_total[5m]))"),
		"share":  signal("share", "sum(rate(demo_served_total[5m])) / sum(rate(demo_served_total[1m]))"),
		"queues": signal("queues", "max(demo_queue_depth)"),
		"absent": signal("absent", "(sum(rate(demo_never_total[5m])) or vector(0)) / sum(rate(demo_served_total[5m]))"),
		"const":  signal("const", "vector(1)"),
	}
	signals["ratio"].VolumeQuery = "sum(demo_requests)"
	for _, c := range []struct {
		name  string
		alone bool
	}{{"batched", false}, {"alone", true}} {
		b.Run(c.name, func(b *testing.B) {
			p := startProm(b)
			waitScrapes(b, p, "demo_served_total", 3)
			s := NewSampler(p.api, signals, SamplerOptions{})
			if c.alone {
				clear(s.batch) // no plan: every signal asked alone
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s.Tick(ctx)
			}
			b.ReportMetric(float64(p.queries.Load()+p.ranges.Load())/float64(b.N), "requests/tick")
		})
	}
}
