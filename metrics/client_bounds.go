package metrics

import (
	"time"

	"github.com/openagents/cockpit/internal/boundedhttp"
)

// APIOption bounds the Prometheus client NewAPI builds.
type APIOption func(*boundedhttp.Options)

// WithMaxResponseBytes caps each response body (config max_response_bytes);
// a larger answer is a query error "response over N MiB from …".
func WithMaxResponseBytes(n int64) APIOption {
	return func(o *boundedhttp.Options) { o.MaxBytes = n }
}

// WithTimeout bounds each exchange, body included, whatever the caller's
// context says: a Prometheus that accepts and never answers cannot hang.
func WithTimeout(d time.Duration) APIOption {
	return func(o *boundedhttp.Options) { o.Timeout = d }
}
