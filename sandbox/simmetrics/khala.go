package simmetrics

import "github.com/prometheus/client_golang/prometheus"

// The Khala projection telemetry's name prefix: the legacy runtime's
// [:openagents_runtime, :khala, :projection, …] events with dots as
// underscores, as the repo's alert rules name them.
const khalaPrefix = "openagents_runtime_khala_projection_"

// Label values the world uses. The legacy telemetry names the tags
// (projection, result, reason_class, scope) but not every value.
const (
	ProjectionRunSummary    = "run_summary"
	ProjectionWorkerSummary = "codex_worker_summary"
	ReasonSequenceGap       = "sequence_gap"
	ReasonPersistenceError  = "persistence_error"
	ReplayScopeTopic        = "topic"
)

// Khala is the projection telemetry the legacy runtime exports: the lag
// summary (no objectives, so only _sum and _count, as the Elixir reporter
// has no quantiles) and the write, write-failure, drift and replay counters.
// Counter names end in _count, exactly as the telemetry names them. As in
// the real deployment (docs/runtime-facts.md §8) the lag summary never receives an
// observation (it is bound to an event the projector does not emit), and
// every counter series appears only with its first event.
type Khala struct {
	lag      *prometheus.SummaryVec
	writes   *prometheus.CounterVec
	failures *prometheus.CounterVec
	drift    *prometheus.CounterVec
	replays  *prometheus.CounterVec
}

// NewKhala makes the telemetry. Nothing is pre-created: a series appears
// with its first event, as the Elixir reporter creates it, so increase()
// misses that first event as it does in production.
func NewKhala() *Khala {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: khalaPrefix + name, Help: help}, labels)
	}
	k := &Khala{
		lag: prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name: khalaPrefix + "lag_events", Help: "Events the projection is behind its source, per projected write.",
		}, []string{"projection", "result"}),
		writes:   counter("write_count", "Projection writes, by result.", "projection", "result"),
		failures: counter("write_failure_count", "Projection writes that failed, by reason class.", "projection", "reason_class"),
		drift:    counter("drift_count", "Projection drift detected, by reason class.", "projection", "reason_class"),
		replays:  counter("replay_count", "Projection replays, by result.", "scope", "result"),
	}
	return k
}

// Collectors are what to register on the exporting registry.
func (k *Khala) Collectors() []prometheus.Collector {
	return []prometheus.Collector{k.lag, k.writes, k.failures, k.drift, k.replays}
}

// Write records one projected write; drifted adds a sequence-gap drift
// report. The lag summary is left alone: the real projector's event is not
// the one it is bound to, so it never fills.
func (k *Khala) Write(projection string, drifted bool) {
	k.writes.WithLabelValues(projection, "ok").Inc()
	if drifted {
		k.drift.WithLabelValues(projection, ReasonSequenceGap).Inc()
	}
}

// Failure records one projection write that failed for reasonClass.
func (k *Khala) Failure(projection, reasonClass string) {
	k.writes.WithLabelValues(projection, "error").Inc()
	k.failures.WithLabelValues(projection, reasonClass).Inc()
}
