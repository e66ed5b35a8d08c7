package metrics

import (
	"testing"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// TestProm lends the scraping test store to the external tests, which judge
// samples with package checks (it imports metrics, so only metrics_test can).
type TestProm struct{ p *prom }

// StartTestProm starts the store scraping demo_served_total (+10 a scrape)
// every 50ms, as startProm.
func StartTestProm(t *testing.T) TestProm { return TestProm{startProm(t)} }

// API is the client of the store.
func (tp TestProm) API() v1.API { return tp.p.api }

// StopScraping stops the store's scrapes (no stale markers are written).
func (tp TestProm) StopScraping() { tp.p.stop() }

// WaitScrapes waits for at least n scrapes of demo_served_total.
func (tp TestProm) WaitScrapes(t *testing.T, n int) { waitScrapes(t, tp.p, "demo_served_total", n) }
