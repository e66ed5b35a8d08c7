package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// Every query timeout a config can hold reaches Prometheus as a duration
// it parses, never shorter than the config's.
func TestPromTimeoutIsADurationPrometheusParses(t *testing.T) {
	for _, d := range []time.Duration{800 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond,
		4 * time.Second, 62500 * time.Millisecond, 90 * time.Second} {
		got := promTimeout(d)
		if _, err := model.ParseDuration(got.String()); err != nil {
			t.Errorf("query_timeout %s is sent as %q: %v", d, got.String(), err)
		}
		if got < d || got >= d+time.Second {
			t.Errorf("query_timeout %s is sent as %s, want at least it and less than a second more", d, got)
		}
	}
}
