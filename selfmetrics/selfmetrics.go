// Package selfmetrics serves the cockpit's own verdicts as Prometheus
// metrics, so Grafana and Alertmanager see the same gates the screen shows:
// every runbook item's verdict, where each step stands, every incident
// criterion, the actions running now and how fresh the last observation is.
//
// An Exporter owns its registry (never the global one) and keeps the last
// observation round whole: every scrape reads one round, so a one-hot family
// never shows two verdicts of one item at once, and an item that leaves the
// state leaves the exposition with it. Every label value is cleaned by
// safetext and bounded, and every family has a bounded number of series.
package selfmetrics

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/runbook"
)

// maxLabelLen bounds every label value, in runes: longer than any item,
// incident, action or target name, short enough that a hostile one cannot
// bloat a scrape.
const maxLabelLen = 64

// maxSeries bounds the distinct items, incidents, actions and notification
// targets each family exports. The runbook has about twenty items; a state
// with more is a bug, and it must not become a cardinality explosion.
// Notification targets past the bound are counted under otherTarget.
const maxSeries = 64

// otherTarget is the target label of notification failures whose target is
// empty or past maxSeries.
const otherTarget = "other"

const (
	shutdownTimeout   = 5 * time.Second
	readHeaderTimeout = 5 * time.Second
)

// progressOrder is the closed set of cockpit_item_progress.
var progressOrder = [...]runbook.ProgressState{
	runbook.NotRun, runbook.Running, runbook.Done, runbook.Failed, runbook.Interrupted, runbook.Queued}

// incidentOrder is the closed set of cockpit_incident_state, in
// Prometheus's alert-state words: an incident criterion that holds is
// "inactive", not "ok".
var incidentOrder = [...]runbook.IncidentState{
	runbook.IncidentOK, runbook.IncidentPending, runbook.IncidentFiring, runbook.IncidentUnknown, runbook.IncidentNotJudged}

// Option changes how New builds an Exporter.
type Option func(*Exporter)

// WithClock sets the clock the observation age is computed with at scrape
// time; tests inject one, the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(e *Exporter) { e.now = now }
}

// Exporter turns observation rounds, actions and notification failures into
// metrics of one environment. It is safe for concurrent use.
type Exporter struct {
	now func() time.Time
	reg *prometheus.Registry

	itemVerdict, itemProgress            *prometheus.Desc
	incidentState, incidentPending       *prometheus.Desc
	actionInProgress, actionStarted      *prometheus.Desc
	observationTimestamp, observationAge *prometheus.Desc
	notificationFailures, observeRounds  *prometheus.Desc
	guardState, guardCountdown           *prometheus.Desc

	mu        sync.Mutex
	items     []itemReading
	incidents []incidentReading
	at        time.Time // the newest round's observation time; zero: none yet
	rounds    float64
	actions   map[string]actionReading
	failures  map[string]float64
	guard     guardReading
}

// guardReading is the guard's last decision (cockpit guard); states is
// empty while no guard runs in this process.
type guardReading struct {
	states    []string
	state     string
	countdown time.Duration
}

type itemReading struct {
	id       string
	verdict  checks.Verdict
	progress runbook.ProgressState // "" for items that are not actions
}

type incidentReading struct {
	id      string
	state   runbook.IncidentState
	pending time.Duration
}

type actionReading struct {
	running bool
	started time.Time
}

// New returns an Exporter for the environment env with its own registry.
func New(env string, opts ...Option) *Exporter {
	e := &Exporter{now: time.Now, reg: prometheus.NewRegistry(),
		actions: map[string]actionReading{}, failures: map[string]float64{}}
	for _, o := range opts {
		o(e)
	}
	env = label(env)
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, prometheus.Labels{"env": env})
	}
	e.itemVerdict = desc("cockpit_item_verdict",
		"Runbook item verdict, one-hot: 1 for the item's current verdict, 0 for the others (steps: whether their target state is observed; I1-I3 and W: their incident criteria).",
		"item", "verdict")
	e.itemProgress = desc("cockpit_item_progress",
		"Where a step or rollback item stands in the journal, one-hot: 1 for its current progress, 0 for the others.",
		"item", "progress")
	e.incidentState = desc("cockpit_incident_state",
		"Incident criterion state, one-hot over inactive, pending, firing, unknown and n/a (a source that does not apply).",
		"incident", "state")
	e.incidentPending = desc("cockpit_incident_pending_seconds",
		"How long an incident criterion's condition has held, in seconds; 0 while it does not.",
		"incident")
	e.actionInProgress = desc("cockpit_action_in_progress",
		"1 while the cockpit runs the action, 0 after it ended.", "action")
	e.actionStarted = desc("cockpit_action_started_timestamp_seconds",
		"When the running action started, in Unix seconds; absent when it does not run.", "action")
	e.observationTimestamp = desc("cockpit_observation_timestamp_seconds",
		"When the newest observation round was taken, in Unix seconds; absent before the first round.")
	e.observationAge = desc("cockpit_observation_age_seconds",
		"Age of the newest observation round at scrape time, in seconds; absent before the first round.")
	e.notificationFailures = desc("cockpit_notification_failures_total",
		"Notifications the cockpit failed to deliver, by target.", "target")
	e.observeRounds = desc("cockpit_observe_rounds_total",
		"Observation rounds the cockpit evaluated.")
	e.guardState = desc("cockpit_guard_state",
		"The guard's state (cockpit guard), one-hot over idle, advised, holding, countdown, acting, acted and cancelled; absent where no guard runs.",
		"state")
	e.guardCountdown = desc("cockpit_guard_countdown_seconds",
		"Seconds left before the guard's rollback starts; 0 when it is not counting down; absent where no guard runs.")
	e.reg.MustRegister(e)
	return e
}

// Guard replaces the exported guard state with its latest decision:
// state, one of states (the closed set, in order), and the countdown left.
func (e *Exporter) Guard(states []string, state string, countdown time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.guard = guardReading{states: states, state: state, countdown: countdown}
}

// Observe replaces the exported verdicts with those of one observation
// round. Items and incidents absent from s are no longer exported.
func (e *Exporter) Observe(s runbook.State) {
	verdicts := map[string][]checks.Verdict{}
	var items []itemReading
	add := func(id string, v checks.Verdict, p runbook.ProgressState) {
		if _, seen := verdicts[id]; !seen {
			if len(verdicts) >= maxSeries {
				return
			}
			items = append(items, itemReading{id: id, progress: p})
		}
		verdicts[id] = append(verdicts[id], v)
	}
	for _, is := range s.Items {
		if is.Item == nil || label(is.Item.ID) == "" {
			continue
		}
		var p runbook.ProgressState // only steps and rollback items have one
		if is.Item.Kind == runbook.Step || is.Item.Kind == runbook.Rollback {
			p = cmp.Or(is.Progress.State, runbook.NotRun)
		}
		add(label(is.Item.ID), is.Verdict, p)
	}
	incidents := make([]incidentReading, 0, len(s.Incidents))
	seen := map[string]bool{}
	for _, inc := range s.Incidents {
		if id := label(inc.ID); id != "" && !seen[id] && len(seen) < maxSeries {
			seen[id] = true
			incidents = append(incidents, incidentReading{id: id, state: inc.State, pending: inc.PendingFor})
		}
		if id := label(inc.Runbook); id != "" {
			add(id, inc.State.Verdict(), "")
		}
	}
	for i := range items {
		items[i].verdict = checks.Worst(verdicts[items[i].id]...)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.items, e.incidents = items, incidents
	if !s.At.IsZero() {
		e.at = s.At
	}
	e.rounds++
}

// ActionStarted marks the action id as running since at (now when at is
// zero).
func (e *Exporter) ActionStarted(id string, at time.Time) {
	id = label(id)
	if at.IsZero() {
		at = e.now()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, known := e.actions[id]; id == "" || !known && len(e.actions) >= maxSeries {
		return
	}
	e.actions[id] = actionReading{running: true, started: at}
}

// ActionEnded marks the action id as no longer running, however it ended.
func (e *Exporter) ActionEnded(id string) {
	id = label(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, known := e.actions[id]; known {
		e.actions[id] = actionReading{}
	}
}

// NotificationFailed counts one notification the cockpit could not deliver
// to target. Target should be a configured name; a URL is reduced to its
// host, so a webhook's secret path or credentials never reach a label.
func (e *Exporter) NotificationFailed(target string) {
	target = label(targetName(target))
	if target == "" {
		target = otherTarget
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, known := e.failures[target]; !known && len(e.failures) >= maxSeries-1 {
		target = otherTarget
	}
	e.failures[target]++
}

func targetName(target string) string {
	if u, err := url.Parse(target); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Hostname()
	}
	return target
}

// Handler serves the exporter's registry in the Prometheus exposition
// formats.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{})
}

// Serve listens on addr ("127.0.0.1:0" picks a free port) and serves
// Handler at /metrics until ctx ends. It returns the address it bound.
// An error after listening (rare: the listener failing) stops the server;
// Prometheus's up metric then reports it. Scrapes in flight when ctx ends get
// a few seconds to finish.
func (e *Exporter) Serve(ctx context.Context, addr string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("serving metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", e.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout}
	go func() { _ = srv.Serve(ln) }() // always an error: ErrServerClosed after shutdown
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	return ln.Addr().String(), nil
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{e.itemVerdict, e.itemProgress, e.incidentState, e.incidentPending,
		e.actionInProgress, e.actionStarted, e.observationTimestamp, e.observationAge,
		e.notificationFailures, e.observeRounds, e.guardState, e.guardCountdown} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. It reads one round whole and
// computes the observation age at scrape time.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, it := range e.items {
		for v := checks.Unknown; v <= checks.Fail; v++ {
			gauge(e.itemVerdict, oneHot(it.verdict == v), it.id, v.String())
		}
		if it.progress == "" {
			continue
		}
		for _, p := range progressOrder {
			gauge(e.itemProgress, oneHot(it.progress == p), it.id, string(p))
		}
	}
	for _, inc := range e.incidents {
		for _, s := range incidentOrder {
			gauge(e.incidentState, oneHot(inc.state == s), inc.id, incidentStateLabel(s))
		}
		gauge(e.incidentPending, max(inc.pending.Seconds(), 0), inc.id)
	}
	for id, a := range e.actions {
		gauge(e.actionInProgress, oneHot(a.running), id)
		if a.running {
			gauge(e.actionStarted, unixSeconds(a.started), id)
		}
	}
	if !e.at.IsZero() {
		gauge(e.observationTimestamp, unixSeconds(e.at))
		gauge(e.observationAge, max(now.Sub(e.at).Seconds(), 0))
	}
	for target, n := range e.failures {
		ch <- prometheus.MustNewConstMetric(e.notificationFailures, prometheus.CounterValue, n, target)
	}
	ch <- prometheus.MustNewConstMetric(e.observeRounds, prometheus.CounterValue, e.rounds)
	for _, st := range e.guard.states {
		gauge(e.guardState, oneHot(st == e.guard.state), label(st))
	}
	if len(e.guard.states) > 0 {
		gauge(e.guardCountdown, max(e.guard.countdown.Seconds(), 0))
	}
}

func incidentStateLabel(s runbook.IncidentState) string {
	if s == runbook.IncidentOK {
		return "inactive"
	}
	return s.String()
}

// label is the one way outside text becomes a label value: screen-safe and
// bounded.
func label(s string) string { return safetext.CleanN(s, maxLabelLen) }

func oneHot(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
