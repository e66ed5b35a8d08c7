package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/config"
)

// Exporter is what the sampler last learned about the exporter a
// first_event signal's counters would appear on: a counter the runtime
// creates with its first event reads 0 only while this proves the exporter
// alive, never on silence alone.
type Exporter struct {
	// Up is the lowest value of the first_event.up query; HasUp false when
	// it selects nothing (the exporter is not scraped here).
	Up    float64
	HasUp bool
	// UpAt and SeriesAt are the newest samples behind up and behind
	// first_event.series; zero when they have none.
	UpAt, SeriesAt time.Time
	// AskSeries is whether first_event.series was configured.
	AskSeries bool
	// At is when this was asked; Err why it could not be.
	At  time.Time
	Err error
}

// Alive says whether the exporter is proven alive at now: up is 1 and both
// up's and the other series' newest samples are within staleAfter. why
// says what is missing when it is not.
func (e Exporter) Alive(now time.Time, staleAfter time.Duration) (alive bool, why string) {
	fresh := func(t time.Time) bool { return staleAfter <= 0 || now.Sub(t) <= staleAfter }
	old := func(t time.Time) string {
		return fmt.Sprintf("%s old > stale_after %s (scrapes stopped?)", now.Sub(t).Round(time.Second), staleAfter)
	}
	switch {
	case e.At.IsZero():
		return false, "its exporter has not been asked about yet"
	case e.Err != nil:
		return false, "its exporter's health could not be read: " + e.Err.Error()
	case !e.HasUp:
		return false, "its exporter's up series does not exist (is the target scraped?)"
	case e.Up != 1:
		return false, fmt.Sprintf("its exporter is down (up = %g)", e.Up)
	case e.UpAt.IsZero():
		return false, "its exporter's up has no sample"
	case !fresh(e.UpAt):
		return false, "its exporter's up is stale: " + old(e.UpAt)
	case e.AskSeries && e.SeriesAt.IsZero():
		return false, "its exporter's other series have no sample"
	case e.AskSeries && !fresh(e.SeriesAt):
		return false, "its exporter's other series are stale: " + old(e.SeriesAt)
	}
	return true, "its exporter is up and its other series are fresh"
}

// exporterPlan is the queries that read one first_event's liveness.
type exporterPlan struct {
	up       string    // min(<up>)
	upFresh  freshness // newest sample of up
	series   freshness // newest sample of the other series; query "" when none
	askSerie bool
}

// planExporter parses a signal's first_event, or returns nil when it has none.
func planExporter(p parser.Parser, fe *config.FirstEvent) *exporterPlan {
	if fe == nil || fe.Up == "" {
		return nil
	}
	plan := &exporterPlan{up: "min(" + fe.Up + ")", upFresh: planFreshness(p, fe.Up), askSerie: fe.Series != ""}
	if plan.askSerie {
		plan.series = planFreshness(p, fe.Series)
	}
	return plan
}

// exporterAnswers are the answers to an exporter plan's queries.
type exporterAnswers struct {
	up               answer
	upAt, seriesAt   time.Time
	upErr, seriesErr error
}

// exporter asks the three queries of plan concurrently, each alone.
func (s *Sampler) exporter(ctx context.Context, plan *exporterPlan, at time.Time) Exporter {
	var (
		wg sync.WaitGroup
		x  exporterAnswers
	)
	wg.Go(func() { x.up = s.instant(ctx, plan.up, config.Above, at) })
	if plan.upFresh.query != "" {
		wg.Go(func() { x.upAt, x.upErr = s.dataTime(ctx, plan.upFresh.query, at) })
	}
	if plan.series.query != "" {
		wg.Go(func() { x.seriesAt, x.seriesErr = s.dataTime(ctx, plan.series.query, at) })
	}
	wg.Wait()
	return x.fold(plan, at)
}

// fold is what the answers say of the exporter at at: its first failure,
// or its up and the newest samples behind up and the other series.
func (x exporterAnswers) fold(plan *exporterPlan, at time.Time) Exporter {
	e := Exporter{At: at, AskSeries: plan.askSerie}
	for _, err := range []error{x.up.err, x.upErr, x.seriesErr} {
		if err != nil && e.Err == nil {
			e.Err = err
		}
	}
	e.Up, e.HasUp, e.UpAt, e.SeriesAt = x.up.value, x.up.has, x.upAt, x.seriesAt
	return e
}

// Absence says what a sample without a value, or a silent one, means for
// sig at now (staleAfter bounds the exporter's data age): zero when sig is
// a first_event counter whose exporter is proven alive (no series is "no
// event yet", read as 0); otherwise no value can be judged, and why says
// so: a first_event counter whose exporter is not proven alive, a silent
// signal (no sample at all: never fresh), or plain "no data".
func (s Sample) Absence(sig *config.Signal, now time.Time, staleAfter time.Duration) (zero bool, why string) {
	switch {
	case sig.FirstEvent != nil:
		alive, how := s.Exporter.Alive(now, staleAfter)
		if alive {
			return true, "no series yet: appears with its first event; " + how
		}
		return false, "no series, and " + how + ": its absence cannot be read as 0"
	case s.Silent:
		return false, "no sample: none of its series has data in its window (silence is never fresh)"
	}
	return false, "no data"
}
