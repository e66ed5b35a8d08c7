package metrics

import "time"

// promTimeout is a query's timeout as the Prometheus API's `timeout`
// parameter can read it. The client sends d.String(), and Prometheus
// parses "800ms" and "2s" but neither "2.5s" nor "1m2.5s": with
// query_timeout 2500ms every query was refused (bad_data: cannot parse
// "2.5s"), and every Prometheus check read UNKNOWN. Past a second, d is
// rounded up to whole seconds; the request's own context still ends at d.
func promTimeout(d time.Duration) time.Duration {
	if d <= time.Second || d%time.Second == 0 {
		return d
	}
	return d.Truncate(time.Second) + time.Second
}
