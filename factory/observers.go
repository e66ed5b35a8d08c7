package factory

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/internal/skew"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/selfmetrics"
	"github.com/openagents/cockpit/sharedlog"
)

// Observer is one observation round at a time: the engine, and what the
// screen observes through (tui.Observer).
type Observer interface {
	Observe(ctx context.Context) runbook.State
}

// Actor is the screen's door to the executor (tui.Actor).
type Actor interface {
	Plan(ctx context.Context, id string) (executor.Plan, error)
	Execute(ctx context.Context, p executor.Plan, a executor.Approval, progress func(executor.Progress)) (executor.Outcome, error)
}

// ScreenObserver is what the screen observes: the engine's rounds with the
// config's secrets hidden, handed to the shared observation feed when this
// process publishes one; with follow (watch --follow), the operating
// cockpit's rounds from that feed instead, falling back to its own.
func (f *Factory) ScreenObserver(follow bool) (Observer, error) {
	eng, err := f.Engine()
	if err != nil {
		return nil, err
	}
	var own Observer = redactingObserver{Observer: eng, hide: f.Streams.Redact}
	following, err := f.Following()
	if err != nil {
		return nil, err
	}
	sharing, err := f.Sharing()
	if err != nil {
		return nil, err
	}
	switch {
	case follow && following != nil:
		trust, _ := f.Trust()
		return followObserver{own: own, pool: following.Pool(), env: f.env.Name, staleAfter: f.config.StaleAfter.D(),
			trust: trust}, nil
	case sharing != nil:
		return publishingObserver{Observer: own, share: sharing}, nil
	}
	return own, nil
}

// redactingObserver hands on each round with the config's secrets hidden
// (runbook.State.Redacted): the screen, the shared observation feed and
// the cockpit's /metrics all take their rounds from it.
type redactingObserver struct {
	Observer
	hide func(string) string
}

func (o redactingObserver) Observe(ctx context.Context) runbook.State {
	return o.Observer.Observe(ctx).Redacted(o.hide)
}

// publishingObserver hands every round to the screen and to the shared
// observation feed, which watch --follow renders from.
type publishingObserver struct {
	Observer
	share *sharedlog.Sharing
}

func (o publishingObserver) Observe(ctx context.Context) runbook.State {
	st := o.Observer.Observe(ctx)
	o.share.Offer(st.At, func() ([]byte, error) { return runbook.EncodeState(st) })
	return st
}

// followObserver is watch --follow's source: the operating cockpit's
// newest round from the shared feed, with its age by the database's clock;
// when the feed is older than stale_after, cannot be read, is refused (a
// row dated in the future, one that breaks the wire's bounds) or is
// unverified (not signed by the key team_keys lists for its operator),
// this process observes on its own and says why, so a forged row never
// hides what is firing.
type followObserver struct {
	own        Observer
	pool       *pgxpool.Pool
	env        string
	staleAfter time.Duration
	// trust is team_keys and max_clock_skew: what a row must pass.
	trust sharedlog.Trust
}

func (o followObserver) Observe(ctx context.Context) runbook.State {
	st, row, err := o.feed(ctx)
	switch {
	case errors.Is(err, sharedlog.ErrRefused), errors.Is(err, sharedlog.ErrUnverified):
		st = o.own.Observe(ctx)
		st.Source = refusal(err) + " · observing on its own"
	case err != nil:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: shared feed unavailable (" + safetext.CleanN(err.Error(), 80) + ")"
	case row.Age > o.staleAfter:
		st = o.own.Observe(ctx)
		st.Source = "observing on its own: the shared feed is " + checks.FormatAge(row.Age) + " old"
	default:
		st.At = row.ObservedAt // the time the database judged, whatever the state says
		st.Source = "following the shared feed (" + checks.FormatAge(row.Age) + " old, signed by " + row.Operator + ")"
	}
	return st
}

// refusal says on one short line why the feed was refused or is
// unverified: it leads the runbook's title, where a long line is cut. A
// row from the future is named by its date, in the screen's form.
func refusal(err error) string {
	var future *skew.FutureError
	if errors.As(err, &future) {
		return "feed refused: " + future.At.UTC().Format(time.DateTime) + " is in the future (clock skew?)"
	}
	return safetext.CleanN(err.Error(), 160)
}

// feedShare is the part of a round's time the feed may take: a database
// that accepts and never answers must leave the fallback observation the
// rest. A round without a deadline gives the feed feedDefault.
const (
	feedShare   = 3
	feedDefault = time.Second
)

// feed reads and decodes the newest round within its share of the round's
// time. A row that does not decode is refused.
func (o followObserver) feed(ctx context.Context) (runbook.State, sharedlog.Observation, error) {
	budget := feedDefault
	if deadline, ok := ctx.Deadline(); ok {
		budget = time.Until(deadline) / feedShare // the context's own clock: its deadline is wall time
	}
	feedCtx, cancel := context.WithTimeout(ctx, budget)
	row, err := sharedlog.LatestObservation(feedCtx, o.pool, o.env, o.trust)
	cancel()
	if err != nil {
		return runbook.State{}, row, err
	}
	st, err := runbook.DecodeState(row.State)
	if err != nil {
		return runbook.State{}, row, fmt.Errorf("%w: %w", sharedlog.ErrRefused, err)
	}
	return st, row, nil
}

// primedObserver starts the first observation round at once, while the
// screen is still taking the terminal (raw mode, alternate screen, colour
// detection), and hands that round to the screen's first Observe: the
// first values reach the screen that much sooner (docs/design.md §9, first paint).
// Every later round is the screen's own.
type primedObserver struct {
	Observer
	first chan runbook.State // the primed round, taken once
	taken atomic.Bool
}

// Prime starts obs's first round now, bounded by timeout.
func Prime(ctx context.Context, obs Observer, timeout time.Duration) Observer {
	p := &primedObserver{Observer: obs, first: make(chan runbook.State, 1)}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		p.first <- obs.Observe(ctx)
	}()
	return p
}

// Observe is the primed round the first time (as long as ctx allows
// waiting for it), a fresh round after.
func (p *primedObserver) Observe(ctx context.Context) runbook.State {
	if p.taken.CompareAndSwap(false, true) {
		select {
		case st := <-p.first:
			return st
		case <-ctx.Done():
		}
	}
	return p.Observer.Observe(ctx)
}

// ObserveTimeout gives one round the refresh period, and never less than
// the query timeout the probes need.
func ObserveTimeout(cfg *config.Config) time.Duration {
	return max(cfg.Refresh.D(), cfg.QueryTimeout.D()+time.Second)
}

// exportedObserver hands every observation round to the screen and to the
// cockpit's own metrics (--metrics-addr), so Grafana or Alertmanager see
// the verdicts the screen shows, parity and runtime-derived gates included.
type exportedObserver struct {
	Observer
	x *selfmetrics.Exporter
}

func (o exportedObserver) Observe(ctx context.Context) runbook.State {
	s := o.Observer.Observe(ctx)
	o.x.Observe(s)
	return s
}

// exportedActor marks an action in progress for as long as it runs.
type exportedActor struct {
	Actor
	x *selfmetrics.Exporter
}

func (a exportedActor) Execute(ctx context.Context, p executor.Plan, ap executor.Approval, report func(executor.Progress)) (executor.Outcome, error) {
	a.x.ActionStarted(p.ID, time.Time{}) // since the exporter's own clock (selfmetrics.WithClock), not a second one
	defer a.x.ActionEnded(p.ID)
	return a.Actor.Execute(ctx, p, ap, report)
}

// SelfMetrics serves the cockpit's own metrics on addr ("" serves nothing)
// and wraps the process's observer and actor (nil in watch and the guard)
// with them; undelivered notifications are counted, and a guard of the
// process exports its state there too (Exporter). It returns the address
// bound.
func (f *Factory) SelfMetrics(ctx context.Context, addr string, obs Observer, actor Actor) (Observer, Actor, string, error) {
	if addr == "" {
		return obs, actor, "", nil
	}
	x := selfmetrics.New(f.env.Name)
	bound, err := x.Serve(ctx, addr)
	if err != nil {
		return nil, nil, "", err
	}
	f.services.exporter = x
	n, err := f.Notifier()
	if err != nil {
		return nil, nil, "", err
	}
	n.CountFailures(x.NotificationFailed)
	if actor != nil {
		actor = exportedActor{Actor: actor, x: x}
	}
	return exportedObserver{Observer: obs, x: x}, actor, bound, nil
}

// Exporter is the metrics SelfMetrics serves, nil when it serves none: the
// guard `cockpit guard` and operate run exports its state there, beside
// the rounds of the process that observes.
func (f *Factory) Exporter() *selfmetrics.Exporter { return f.services.exporter }
