package rustsim

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openagents/cockpit/sandbox/simmetrics"
)

// metrics is the simulation's Prometheus surface. The real runtime exported
// none at the facts' commit; these names are the sandbox's defaults for the
// cockpit's configurable queries. Every series carries runtime="rust".
type metrics struct {
	registry     *prometheus.Registry
	requests     *simmetrics.Requests
	drift        *prometheus.CounterVec
	projectionOK prometheus.Counter
	projectionKO prometheus.Counter
}

// regressionStep is how far the checkpoint position falls per scrape while
// the checkpoint-regression fault is on.
const regressionStep = 50

func newMetrics(r *Runtime) *metrics {
	labels := prometheus.Labels{"runtime": "rust"}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: simmetrics.NewRequests("rust"),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runtime_projection_drift_total", Help: "Projection drift reports recorded, by reason class.", ConstLabels: labels,
		}, []string{"reason_class"}),
	}
	writes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "runtime_projection_write_total", Help: "Projection writes by result.", ConstLabels: labels,
	}, []string{"result"})
	m.projectionOK, m.projectionKO = writes.WithLabelValues("ok"), writes.WithLabelValues("error")
	// Pre-create the series so rate() and increase() see zeros, not absence.
	m.drift.WithLabelValues("sequence_gap")

	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, f)
	}
	m.registry.MustRegister(
		m.requests.Collector(), m.drift, writes,
		gauge("runtime_ready", "1 when /readyz answers ready.", r.readyValue),
		gauge("runtime_authority_writer_active", "1 when the write mode is rust_active.", r.writerActiveValue),
		gauge("runtime_projection_lag_events", "Events the projector is behind the authority log.", r.lagValue),
		gauge("runtime_projector_checkpoint_position", "Total events projected (moves backwards only on regression).", r.checkpointPositionValue),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (r *Runtime) readyValue() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return boolValue(!r.faults.NotReady)
}

func (r *Runtime) writerActiveValue() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return boolValue(r.proc.mode == ModeRustActive)
}

// lagValue jitters 0–5 events normally and 40–200 while drifting.
func (r *Runtime) lagValue() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults.Drift {
		return float64(40 + r.rng.IntN(161))
	}
	return float64(r.rng.IntN(6))
}

// checkpointPositionValue is read once per scrape; under the regression
// fault each scrape pulls the position back by regressionStep.
func (r *Runtime) checkpointPositionValue() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults.CheckpointRegression {
		r.regression = min(r.regression+regressionStep, r.proj.projected)
	}
	return float64(r.proj.projected - r.regression)
}

// statusRecorder remembers the status an API handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// countRequests wraps the API (not /metrics, /healthz or /readyz) so every
// request is counted by kind and status class.
func (m *metrics) countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, req)
		m.requests.Count(req.Method, rec.status)
	})
}
