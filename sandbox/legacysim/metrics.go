package legacysim

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openagents/cockpit/sandbox/simmetrics"
)

// metrics is the node's Prometheus surface (sandbox defaults for the
// cockpit's configurable queries), every series labelled runtime="legacy".
type metrics struct {
	registry *prometheus.Registry
	requests *simmetrics.Requests
	serve    http.Handler
}

func newMetrics(r *Runtime) *metrics {
	labels := prometheus.Labels{"runtime": "legacy"}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: simmetrics.NewRequests("legacy"),
	}
	gauge := func(name, help string, f func() bool) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 {
			if f() {
				return 1
			}
			return 0
		})
	}
	m.registry.MustRegister(m.requests.Collector(),
		gauge("runtime_ready", "1 when health answers ok.", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return !r.faults.NotReady
		}),
		gauge("runtime_authority_writer_active", "1 unless the node reports its writes frozen.", func() bool { return !r.Frozen() }),
		gauge("runtime_legacy_write_freeze", "1 when the node reports its writes frozen.", r.Frozen),
	)
	m.serve = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) handler() http.Handler { return m.serve }

// count records one request; POST is a write, everything else a read.
func (m *metrics) count(method string, status int) { m.requests.Count(method, status) }
