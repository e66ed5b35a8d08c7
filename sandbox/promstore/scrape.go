package promstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/value"
)

const (
	// scrapeAccept asks for the classic text format, the one client_golang
	// serves by default; OpenMetrics is parsed too if a target insists.
	scrapeAccept = "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"
	// maxScrapeTimeout is Prometheus's default scrape_timeout.
	maxScrapeTimeout = 10 * time.Second
	// maxBodyBytes bounds one scrape so a runaway target cannot eat the
	// world's memory budget.
	maxBodyBytes = 16 << 20
)

// scrapeStats are the numbers Prometheus reports per scrape.
type scrapeStats struct {
	scraped     int // samples in the exposition
	seriesAdded int // series not present in the previous scrape
}

// Run scrapes every target once per interval, concurrently, until ctx is
// done or the store is closed. Each scrape times out before the next is due.
func (s *Store) Run(ctx context.Context) {
	client := &http.Client{}
	defer client.CloseIdleConnections()
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	for s.scrapeRound(ctx, client) {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// scrapeRound scrapes all targets and reports whether the store is open.
func (s *Store) scrapeRound(ctx context.Context, client *http.Client) bool {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed || ctx.Err() != nil {
		return false
	}
	if s.stopped.Load() {
		return true
	}
	var wg sync.WaitGroup
	for _, t := range s.targets {
		wg.Go(func() { s.scrape(ctx, client, t) })
	}
	wg.Wait()
	return true
}

// scrapeTimeout is Options.ScrapeTimeout, or Prometheus's default of 10s
// shortened so a scrape always ends before the next one is due.
func (s *Store) scrapeTimeout() time.Duration {
	if s.timeout > 0 {
		return s.timeout
	}
	return min(maxScrapeTimeout, s.interval*9/10)
}

// scrape fetches one target and commits its samples, stale markers and
// the synthetic up / scrape_* series as one batch, as Prometheus's scrape
// loop does. A failed scrape stales every series it had exposed.
func (s *Store) scrape(ctx context.Context, client *http.Client, t *scrapeTarget) {
	ts := s.now().UnixMilli()
	started := time.Now()
	body, contentType, scrapeErr := fetch(ctx, client, t.url, s.scrapeTimeout())
	duration := time.Since(started)
	if ctx.Err() != nil {
		return // stopping: this is not a failed scrape
	}
	b := &batch{}
	var stats scrapeStats
	if scrapeErr == nil {
		if stats, scrapeErr = t.appendSamples(b, body, contentType, ts); scrapeErr != nil {
			b = &batch{} // a scrape that does not parse stores nothing of it
		}
	}
	if scrapeErr != nil {
		s.logger.Debug("scrape failed", "url", t.url, "err", scrapeErr)
		// An empty scrape writes stale markers for everything seen before.
		stats = scrapeStats{}
		_, _ = t.appendSamples(b, nil, "", ts)
	}
	up := 1.0
	if scrapeErr != nil {
		up = 0
	}
	for _, r := range []struct {
		name  string
		value float64
	}{
		{"up", up},
		{"scrape_duration_seconds", duration.Seconds()},
		{"scrape_samples_scraped", float64(stats.scraped)},
		{"scrape_samples_post_metric_relabeling", float64(stats.scraped)},
		{"scrape_series_added", float64(stats.seriesAdded)},
	} {
		b.add(t.reportLabels(r.name), ts, r.value)
	}
	// Out-of-order or duplicate samples are dropped, as Prometheus does;
	// the rest of the scrape still counts.
	if err := s.mem.commit(b); err != nil {
		s.logger.Debug("samples rejected", "url", t.url, "err", err)
	}
	s.mem.truncate(ts - retention.Milliseconds())
}

// fetch GETs a /metrics page the way Prometheus does: negotiated format,
// timeout header, non-200 is a failed scrape.
func fetch(ctx context.Context, client *http.Client, target string, timeout time.Duration) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, "", fmt.Errorf("building scrape request: %w", err)
	}
	req.Header.Set("Accept", scrapeAccept)
	req.Header.Set("User-Agent", "cockpit-promstore")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("scraping %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("scraping %s: server returned HTTP status %s", target, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", target, err)
	}
	if len(body) > maxBodyBytes {
		return nil, "", fmt.Errorf("scraping %s: body exceeds %d bytes", target, maxBodyBytes)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// appendSamples parses an exposition with Prometheus's own parser and
// adds it to b at ts (or at a sample's explicit timestamp). Series exposed
// last time but missing now get a stale marker, except those with explicit
// timestamps, which Prometheus never stales. An empty body stales all.
// On a parse error nothing is remembered and the caller must discard b.
func (t *scrapeTarget) appendSamples(b *batch, body []byte, contentType string, ts int64) (scrapeStats, error) {
	var stats scrapeStats
	cur := make(map[string]labels.Labels, len(t.prev))
	if len(body) > 0 {
		p, err := textparse.New(body, contentType, nil, textparse.ParserOptions{FallbackContentType: "text/plain"})
		if p == nil {
			return stats, fmt.Errorf("unsupported content type %q: %w", contentType, err)
		}
		for {
			entry, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return stats, fmt.Errorf("parsing exposition: %w", err)
			}
			if entry != textparse.EntrySeries {
				continue
			}
			raw, explicit, v := p.Series()
			stats.scraped++
			var exposed labels.Labels
			p.Labels(&exposed)
			lset := t.sampleLabels(exposed)
			at := ts
			if explicit != nil {
				at = *explicit
			}
			b.add(lset, at, v)
			if explicit == nil {
				key := string(raw)
				if _, seen := t.prev[key]; !seen {
					stats.seriesAdded++
				}
				cur[key] = lset
			}
		}
	}
	stale := math.Float64frombits(value.StaleNaN)
	for key, lset := range t.prev {
		if _, ok := cur[key]; !ok {
			b.add(lset, ts, stale)
		}
	}
	t.prev = cur
	return stats, nil
}
