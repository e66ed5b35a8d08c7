package legacysim

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openagents/cockpit/sandbox/simmetrics"
)

// metrics is the node's Prometheus surface, the legacy telemetry under the
// names the repo's alert rules use (docs/runtime-facts.md §6):
// phoenix_endpoint_stop_duration, a summary without quantiles (so only
// _count and _sum) in milliseconds, tagged status_class alone: which runtime
// answered comes from the scrape target's labels. Other telemetry of the
// node (the Khala projection metrics) is registered by whoever drives it.
type metrics struct {
	registry *prometheus.Registry
	endpoint *prometheus.SummaryVec
	serve    http.Handler
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		endpoint: prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name: "phoenix_endpoint_stop_duration",
			Help: "Time the Phoenix endpoint took to answer a request, in milliseconds.",
		}, []string{"status_class"}),
	}
	m.registry.MustRegister(m.endpoint)
	m.serve = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) handler() http.Handler { return m.serve }

// observe records one request the endpoint answered.
func (m *metrics) observe(status int, took time.Duration) {
	m.endpoint.WithLabelValues(simmetrics.StatusClass(status)).Observe(float64(took) / float64(time.Millisecond))
}

// RegisterTelemetry adds collectors to the node's /metrics, as the legacy
// app's telemetry reporter exports every metric the app defines.
func (r *Runtime) RegisterTelemetry(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.metrics.registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}
