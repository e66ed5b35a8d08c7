// Package metrics queries Prometheus for the configured signals: the client
// (client_golang api/v1 with auth, TLS and headers from prometheus/common),
// the sampler (poll loop, one batched request a round with a per-signal
// fallback, bounded concurrency, no overlapping query per signal) and the
// samples with their ages.
package metrics

import "time"

// Point is one value of a series at one instant.
type Point struct {
	T time.Time
	V float64
}

// Sample is the latest observation of one signal.
type Sample struct {
	Signal   string
	Query    string
	Value    float64
	HasValue bool // false: the query returned no data
	Series   int  // how many series the query returned
	// Volume is the value of the signal's volume_query, when it has one.
	Volume    float64
	HasVolume bool
	// History holds the sparkline window, oldest first.
	History []Point
	// At is when this value was evaluated.
	At time.Time
	// DataAt is when the newest sample behind the value was taken: the
	// oldest of its selectors' newest samples (a ratio whose numerator
	// stopped updating is as old as the numerator). Selectors with no series
	// do not count. Zero when unknown: the query selects no series (vector(1))
	// or none of its selectors has any.
	DataAt time.Time
	// Silent is a signal whose selectors have no sample at all in what it
	// reads (its data-time query answered nothing): the data time is then
	// unknown and the value, if any, comes from no data (vector(0), absent).
	// Silence is never fresh: judges read a silent sample as UNKNOWN, except
	// a first_event counter whose Exporter is proven alive (it reads 0).
	Silent bool
	// Exporter is the liveness of the exporter a first_event signal's
	// counters would appear on; zero for other signals.
	Exporter Exporter
	// Window is the longest span of data one evaluation reads: the largest
	// range, with enclosing subquery ranges and offsets added. A value
	// describes only a world that has not changed for Window.
	Window time.Duration
	// Err is the latest query's failure (a *QueryError with Prometheus's
	// error type and detail). Value, HasValue and At then still describe
	// the last successful evaluation, so the sample ages instead of lying.
	Err error
	// Warnings are Prometheus's query warnings and the sampler's own notes
	// (NaN results, more series than expected, a failed history query).
	Warnings []string
}

// Age is how old the sample's data is at now: now − DataAt when the data
// time is known, else now − At (the age of the evaluation). A sample never
// observed is -1. With scrapes stopped a rate() keeps answering while its
// Age grows, so the sample goes stale.
func (s Sample) Age(now time.Time) time.Duration {
	if s.At.IsZero() {
		return -1
	}
	return now.Sub(s.At) + s.DataAge()
}

// DataAge is how old the data was when it was evaluated (At − DataAt), 0
// when the data time is unknown.
func (s Sample) DataAge() time.Duration {
	if s.DataAt.IsZero() || s.At.IsZero() {
		return 0
	}
	return max(s.At.Sub(s.DataAt), 0)
}

// Snapshot is every signal's latest sample after one sampler tick.
type Snapshot struct {
	Seq     uint64
	At      time.Time
	Samples map[string]Sample
	// Fallback says, when the round's batched request failed, why, and
	// which signals broke it (each was then asked alone); "" otherwise.
	Fallback string
}
