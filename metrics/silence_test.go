package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// A counter that no event has created yet: its query and its data-time
// query answer nothing. That silence is never fresh data; it reads 0 only
// while the exporter that would carry the counter is proven alive (its up
// is 1 and fresh, its other series fresh), and once scrapes stop, not even
// then.
func TestSilenceIsNeverFreshAndFirstEventCountersNeedALiveExporter(t *testing.T) {
	t.Parallel()
	p := startProm(t)
	const staleAfter = 2 * time.Second
	drift := signal("drift", `sum(increase(demo_drift_total[1m]))`)
	drift.FirstEvent = &config.FirstEvent{Up: `up{job="demo"}`, Series: "demo_served_total"}
	plain := signal("plain", `sum(increase(demo_drift_total[1m])) or vector(0)`)
	s := NewSampler(p.api, map[string]*config.Signal{"drift": drift, "plain": plain}, SamplerOptions{QueryTimeout: 5 * time.Second})

	snap := s.Tick(context.Background())
	now := time.Now()
	d, pl := snap.Samples["drift"], snap.Samples["plain"]
	if d.Err != nil || d.HasValue || !d.Silent || !d.DataAt.IsZero() {
		t.Fatalf("drift before its first event: %+v, want no value, silent, no data time", d)
	}
	if pl.Err != nil || !pl.HasValue || !pl.Silent {
		t.Fatalf("vector(0) fallback with no series: %+v, want a value that is silent", pl)
	}
	if zero, why := pl.Absence(plain, now, staleAfter); zero || !strings.Contains(why, "silence is never fresh") {
		t.Errorf("silent fallback: zero=%t %q, want no zero: silence is never fresh", zero, why)
	}
	if zero, why := d.Absence(drift, now, staleAfter); !zero || !strings.Contains(why, "no series yet: appears with its first event") {
		t.Errorf("first_event counter on a live exporter: zero=%t %q, want 0", zero, why)
	}

	// The bad day: scrapes stop. The exporter's up ages past stale_after,
	// and the counter's absence no longer reads 0.
	p.stop()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d = s.Tick(context.Background()).Samples["drift"]
		zero, why := d.Absence(drift, time.Now(), staleAfter)
		if !zero && strings.Contains(why, "up is stale") && strings.Contains(why, "cannot be read as 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20s after scrapes stopped the counter still reads: zero=%t %q", zero, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
