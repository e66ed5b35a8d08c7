// Package simmetrics holds the Prometheus series the rehearsal world
// exports, under the names and types the real deployment has
// (docs/runtime-facts.md §6, docs/metrics.md): Cloud Run's request
// count as Managed Prometheus shows it, and the legacy runtime's Khala
// projection telemetry. The Rust runtime exports none.
package simmetrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RequestCountName is Cloud Run's request count in Managed Service for
// Prometheus (the metric run.googleapis.com/request_count).
const RequestCountName = "run_googleapis_com:request_count"

// CloudRun is the platform's view of the world's services: one counter,
// run_googleapis_com:request_count{service_name, revision_name,
// response_code, response_code_class}. Like Cloud Run, a series exists only
// once a request with its label set was answered: nothing is pre-created.
type CloudRun struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
}

// NewCloudRun makes the platform exporter.
func NewCloudRun() *CloudRun {
	c := &CloudRun{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: RequestCountName,
			Help: "Requests answered by a Cloud Run revision (run.googleapis.com/request_count).",
		}, []string{"service_name", "revision_name", "response_code", "response_code_class"}),
	}
	c.registry.MustRegister(c.requests)
	return c
}

// Count records one request the revision answered with status.
func (c *CloudRun) Count(service, revision string, status int) {
	c.requests.WithLabelValues(service, revision, fmt.Sprint(status), StatusClass(status)).Inc()
}

// Handler serves the platform's series at /metrics, for the world's
// Prometheus to scrape (on GCP, Managed Prometheus collects them itself).
func (c *CloudRun) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(c.registry, promhttp.HandlerOpts{}))
	return mux
}

// StatusClass is a status code's class as Cloud Run's response_code_class
// and Phoenix's status_class write it: "2xx", "4xx", "5xx".
func StatusClass(status int) string {
	return fmt.Sprintf("%dxx", status/100)
}
