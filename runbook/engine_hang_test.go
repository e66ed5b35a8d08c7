package runbook

import (
	"io"
	"net/http"
	"time"
)

// hang is a server that answers far later than any query timeout: a hung
// node, a fault no simulated runtime produces on demand. It reads the body
// first so the server notices when the client gives up.
func hang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
}
