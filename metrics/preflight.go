package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
)

// PreflightResult is one configured query, tried once before the cutover.
// OK with Warnings is usable, but something in it matches nothing yet.
type PreflightResult struct {
	Signal   string   `json:"signal"`
	Kind     string   `json:"kind"` // "query" or "volume_query"
	Query    string   `json:"query"`
	OK       bool     `json:"ok"`
	Problem  string   `json:"problem,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Series   int      `json:"series"`
	// Note says why an OK query has no data, or is not tried: a counter
	// that appears with its first event, a signal declared required: false.
	Note string `json:"note,omitempty"`
	// Unanswered is a query cut off by the run's deadline (ctx): Prometheus
	// accepted the request and did not answer in time.
	Unanswered bool `json:"unanswered,omitempty"`
}

// UnansweredProblem is the problem of a query the deadline cut off.
const UnansweredProblem = "no answer before the preflight deadline"

// PreflightDeadline bounds a whole preflight run of n queries: each asks
// Prometheus up to three things in turn (does its metric exist, the query,
// do its selectors match), preflightConcurrency at once, each allowed the
// query timeout (at least 1 s: preflight asks about 24 h of series).
func PreflightDeadline(queryTimeout time.Duration, n int) time.Duration {
	waves := max((n+preflightConcurrency-1)/preflightConcurrency, 1)
	return time.Duration(3*waves) * max(queryTimeout, time.Second)
}

// PreflightQueries is how many queries Preflight tries over signals: each
// signal's query and volume query.
func PreflightQueries(signals map[string]*config.Signal) int {
	n := 0
	for _, sig := range signals {
		n++
		if sig.VolumeQuery != "" {
			n++
		}
	}
	return n
}

// preflightConcurrency matches the sampler's default: preflight must not
// load Prometheus more than watching does.
const preflightConcurrency = 4

// SeriesLookback is how far back preflight looks for a metric's series: a
// name with none in this window has never been exported where it is asked.
const SeriesLookback = 24 * time.Hour

// Preflight tries every signal's query and volume query once. Each metric a
// query names must have had a series within SeriesLookback: a name that
// never existed fails, even when an `or vector(0)`-style fallback makes the
// query itself answer. Each query must parse (the server answers without
// bad_data), return data (or none, for a signal that reads no data as
// a first_event counter), and return exactly one series where the signal
// expects one. A first_event counter with no series yet passes ("no series
// yet: appears with its first event") while its exporter's up series
// exists; a signal declared required: false is not tried. A selector that
// matches nothing while its metric exists is a warning: the labels may be
// right and the event not have happened yet. Results are in signal order,
// each query before its volume query. Bound the run with ctx.
func Preflight(ctx context.Context, api v1.API, signals map[string]*config.Signal) []PreflightResult {
	var out []PreflightResult
	for _, name := range slices.Sorted(maps.Keys(signals)) {
		sig := signals[name]
		out = append(out, PreflightResult{Signal: name, Kind: "query", Query: sig.Query})
		if sig.VolumeQuery != "" {
			out = append(out, PreflightResult{Signal: name, Kind: "volume_query", Query: sig.VolumeQuery})
		}
	}
	seen := &seriesCache{api: api, answers: map[string]*seriesAnswer{}}
	slots := make(chan struct{}, preflightConcurrency)
	var wg sync.WaitGroup
	for i := range out {
		r := &out[i]
		sig := signals[r.Signal]
		one := sig.Series != "any" || r.Kind == "volume_query"
		if why := sig.NotJudged(); why != "" {
			r.OK, r.Note = true, why
			continue
		}
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				r.Problem, r.Unanswered = UnansweredProblem, true
				return
			}
			preflightOne(ctx, api, seen, r, sig, one)
			if !r.OK && ctx.Err() != nil {
				r.Problem, r.Unanswered = UnansweredProblem, true
			}
		})
	}
	wg.Wait()
	return out
}

// preflightOne queries at the server's own now (no time parameter).
func preflightOne(ctx context.Context, api v1.API, seen *seriesCache, r *PreflightResult, sig *config.Signal, one bool) {
	if r.Query == "" {
		r.Problem = "no query configured"
		return
	}
	firstEvent := sig.FirstEvent != nil && r.Kind == "query"
	selectors := vectorSelectors(r.Query)
	for _, s := range selectors {
		if s.name == "" {
			continue
		}
		n, err := seen.count(ctx, `{__name__=`+quote(s.name)+`}`)
		if err != nil {
			r.Problem = fmt.Sprintf("asking whether %s exists: %v", s.name, err)
			return
		}
		switch {
		case n == 0 && firstEvent:
			if exporterScraped(ctx, seen, r, sig) {
				r.OK, r.Note = true, fmt.Sprintf("no series yet: appears with its first event (%s; reads 0 while %s is up and fresh)", s.name, sig.FirstEvent.Up)
			}
			return
		case n == 0:
			r.Problem = fmt.Sprintf("metric %s has no series in the last %s: it was never exported here; the query cannot tell an incident from missing telemetry. Change signals.%s.query to the metric this deployment exports (check the name, and that its exporter is scraped), or declare the signal required: false with a reason if the deployment lacks it", s.name, lookbackText, r.Signal)
			return
		}
	}
	v, _, _, err := api.Query(ctx, r.Query, time.Time{})
	if err != nil {
		qe := queryError(r.Query, err)
		if qe.Type == string(v1.ErrBadData) {
			r.Problem = "does not parse: " + qe.Msg
		} else {
			r.Problem = qe.Error()
		}
		return
	}
	notYet := 0
	for _, s := range selectors {
		if len(s.matchers) == 0 {
			continue
		}
		n, err := seen.count(ctx, s.match)
		if err != nil {
			r.Problem = fmt.Sprintf("asking for series of %s: %v", s.text, err)
			return
		}
		if n == 0 {
			notYet++
			r.Warnings = append(r.Warnings, fmt.Sprintf("no series match %s yet, though %s exists: nothing with those labels was recorded in the last %s (e.g. no 5xx answered yet), or a label is misspelled", s.text, or(s.name, "the metric"), lookbackText))
		}
	}
	a := reduce(v, config.Above)
	r.Series = a.series
	switch {
	case a.err != nil:
		r.Problem = a.err.Error()
	case !a.has && firstEvent:
		if exporterScraped(ctx, seen, r, sig) {
			r.OK, r.Note = true, "no data yet: appears with its first event (reads 0 while "+sig.FirstEvent.Up+" is up and fresh)"
		}
	case !a.has && notYet > 0:
		// Every metric exists; a label set has not been recorded yet
		// (no Rust revision has answered a write before the cutover):
		// usable, and the warning above says which.
		r.OK = true
		r.Warnings = append(r.Warnings, "returns no data yet: the series above appear with their first request")
	case !a.has:
		r.Problem = "returns no data (check metric names and labels, or that traffic exists)"
	case one && a.series != 1:
		r.Problem = fmt.Sprintf("returns %d series where one is expected (aggregate with sum() or max(), or set series: any)", a.series)
	default:
		r.OK = true
	}
}

// exporterScraped checks that a first_event signal's exporter has an up
// series: without one, a counter's absence can never read 0. It sets
// r.Problem when not.
func exporterScraped(ctx context.Context, seen *seriesCache, r *PreflightResult, sig *config.Signal) bool {
	for _, s := range vectorSelectors(sig.FirstEvent.Up) {
		n, err := seen.count(ctx, s.match)
		if err != nil {
			r.Problem = fmt.Sprintf("asking whether %s exists: %v", s.text, err)
			return false
		}
		if n == 0 {
			r.Problem = fmt.Sprintf("its exporter's health %s has no series in the last %s: the exporter is not scraped here, so this counter's absence can never be read as 0. Change signals.%s.first_event.up to the scrape job that carries it", sig.FirstEvent.Up, lookbackText, r.Signal)
			return false
		}
	}
	return true
}

var lookbackText = strings.TrimSuffix(strings.TrimSuffix(SeriesLookback.String(), "0s"), "0m")

// selector is one vector selector of a query.
type selector struct {
	name     string   // the metric name, "" when it is matched otherwise
	matchers []string // every other matcher, rendered
	match    string   // the whole selector for the series API
	text     string   // as shown: name{matchers}
}

// vectorSelectors lists a query's distinct vector selectors, in order; none
// when the query does not parse here (the server then says why).
func vectorSelectors(query string) []selector {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return nil
	}
	var out []selector
	done := map[string]bool{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		var s selector
		var all []string
		for _, m := range vs.LabelMatchers {
			all = append(all, m.String())
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				s.name = m.Value
				continue
			}
			s.matchers = append(s.matchers, m.String())
		}
		s.match = "{" + strings.Join(all, ",") + "}"
		s.text = s.name + "{" + strings.Join(s.matchers, ",") + "}"
		if !done[s.match] {
			done[s.match] = true
			out = append(out, s)
		}
		return nil
	})
	return out
}

// seriesCache asks the series API once per selector in a preflight run:
// the same metric names recur across signals.
type seriesCache struct {
	api     v1.API
	mu      sync.Mutex
	answers map[string]*seriesAnswer
}

type seriesAnswer struct {
	once sync.Once
	n    int
	err  error
}

// count is how many series (at most 1: one answers the question) matched
// match within SeriesLookback.
func (c *seriesCache) count(ctx context.Context, match string) (int, error) {
	c.mu.Lock()
	a, ok := c.answers[match]
	if !ok {
		a = &seriesAnswer{}
		c.answers[match] = a
	}
	c.mu.Unlock()
	a.once.Do(func() {
		end := time.Now()
		sets, _, _, err := c.api.Series(ctx, []string{match}, end.Add(-SeriesLookback), end, v1.WithLimit(1))
		if err != nil {
			a.err = queryError(match, err)
			return
		}
		a.n = len(sets)
	})
	return a.n, a.err
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
