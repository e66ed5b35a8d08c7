// Package simmetrics holds what both simulated runtimes export the same way:
// the API request counter the cockpit's default error-rate and write-share
// queries read (docs/metrics.md).
package simmetrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// Requests counts API requests as runtime_http_requests_total{runtime, kind,
// status_class}. Every series exists from the start, at zero, so rate() and
// increase() see zeros rather than absence.
type Requests struct{ vec *prometheus.CounterVec }

// NewRequests makes the counter for one runtime ("rust" or "legacy").
func NewRequests(runtime string) *Requests {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "runtime_http_requests_total", Help: "API requests by kind (write/read) and status class.",
		ConstLabels: prometheus.Labels{"runtime": runtime},
	}, []string{"kind", "status_class"})
	for _, kind := range []string{"write", "read"} {
		for _, class := range []string{"2xx", "4xx", "5xx"} {
			vec.WithLabelValues(kind, class)
		}
	}
	return &Requests{vec: vec}
}

// Collector is what to register.
func (r *Requests) Collector() prometheus.Collector { return r.vec }

// Count records one answered request: a POST is a write, anything else a read.
func (r *Requests) Count(method string, status int) {
	kind := "read"
	if method == http.MethodPost {
		kind = "write"
	}
	class := "2xx"
	switch {
	case status >= 500:
		class = "5xx"
	case status >= 400:
		class = "4xx"
	}
	r.vec.WithLabelValues(kind, class).Inc()
}
