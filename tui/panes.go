package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/sparkline"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// signalRow is one line of a metric pane: a label and the signal it shows.
type signalRow struct{ label, signal string }

// errorRateRows and driftRows name the default signals (config.DefaultSignals);
// a configuration without them shows "no data", never a made-up value.
func errorRateRows() []signalRow {
	return []signalRow{{"rust", "rust_write_error_rate"}, {"legacy", "legacy_write_error_rate"}, {"all", "write_error_rate"}}
}

func driftRows() []signalRow {
	return []signalRow{{"lag p95", "projection_lag_p95"}, {"drift", "drift_events"}, {"ckpt", "checkpoint_regression"}}
}

// paneHeight is the height of each live pane: a title and three rows.
const paneHeight = 4

// livePanes renders HEALTH, PARITY, ERROR RATE and DRIFT. Sparklines are
// drawn when a new state or size arrives, not on every View, to keep View
// inside its budget.
type livePanes struct {
	c      *common
	state  runbook.State
	width  int               // of one pane
	sparks map[string]string // signal → drawn sparkline
}

func newLivePanes(c *common) *livePanes {
	return &livePanes{c: c, sparks: map[string]string{}}
}

// SetSize sets one pane's width and redraws the sparklines to fit it.
func (p *livePanes) SetSize(w int) {
	p.width = w
	p.drawSparks()
}

// SetState takes a new observation round.
func (p *livePanes) SetState(s runbook.State) {
	p.state = s
	p.drawSparks()
}

func (p *livePanes) sparkWidth() int { return min(max(p.width-26, 0), 30) }

func (p *livePanes) drawSparks() {
	w := p.sparkWidth()
	clear(p.sparks)
	if w == 0 {
		return
	}
	for _, r := range append(errorRateRows(), driftRows()...) {
		s, ok := p.state.Snapshot.Samples[r.signal]
		if !ok || len(s.History) == 0 {
			continue
		}
		p.sparks[r.signal] = p.spark(r.signal, s, w)
	}
}

// spark draws a sample's history scaled to its own maximum, so a 0.3% error
// rate is visible; an all-zero history is a flat muted baseline.
func (p *livePanes) spark(signal string, s metrics.Sample, w int) string {
	pts := lastPoints(s.History, w)
	top := 0.0
	for _, pt := range pts {
		top = max(top, pt.V)
	}
	if top <= 0 {
		return strings.Repeat(" ", w-len(pts)) + p.c.styles.Muted.Render(strings.Repeat("▁", len(pts)))
	}
	style := p.c.styles.Verdict(level(p.c.signals[signal], s.Value))
	sl := sparkline.New(w, 1, sparkline.WithStyle(style), sparkline.WithNoAutoMaxValue(), sparkline.WithMaxValue(top))
	for _, pt := range pts {
		sl.Push(pt.V)
	}
	sl.Draw()
	return sl.View()
}

func lastPoints(h []metrics.Point, n int) []metrics.Point {
	if len(h) > n {
		return h[len(h)-n:]
	}
	return h
}

// views returns the four panes' lines, each exactly paneHeight long.
func (p *livePanes) views(now time.Time) [4][]string {
	return [4][]string{
		p.health(now),
		p.parity(now),
		p.signalPane("ERROR RATE (write 5xx)", errorRateRows(), now),
		p.signalPane("DRIFT", driftRows(), now),
	}
}

// title renders a pane title with its data age, or STALE when too old.
func (p *livePanes) title(name string, age time.Duration, stale bool) string {
	st := p.c.styles
	text, style := checks.FormatAge(age), st.Muted
	if stale {
		text, style = "STALE "+text, st.Stale
	}
	gap := max(p.width-len([]rune(name))-len([]rune(text)), 1)
	return st.Title.Render(name) + strings.Repeat(" ", gap) + style.Render(text)
}

// oldest is the largest age, so a pane is as fresh as its stalest value.
func oldest(ages ...time.Duration) time.Duration {
	if len(ages) == 0 {
		return -1
	}
	o := ages[0]
	for _, a := range ages {
		if a < 0 {
			return -1
		}
		o = max(o, a)
	}
	return o
}

func (p *livePanes) health(now time.Time) []string {
	st := p.c.styles
	lines := []string{""}
	var ages []time.Duration
	for _, r := range p.state.Health {
		age := r.Age(now)
		ages = append(ages, age)
		v := st.Verdict(r.Verdict).Render(fmt.Sprintf("%s %s", verdictSymbol(r.Verdict), r.Verdict))
		lines = append(lines, fmt.Sprintf("%s %s %s", fit(r.Title, 16), fit(v, 10), fit(valueOf(r), max(p.width-34, 0))))
	}
	if len(p.state.Health) == 0 {
		lines = append(lines, st.Stale.Render("no health probes yet"))
	}
	age := oldest(ages...)
	lines[0] = p.title("HEALTH", age, p.c.stale(age))
	return block(lines, p.width, paneHeight)
}

func valueOf(r checks.Result) string {
	if r.Evidence.Value == "" {
		return r.Evidence.Reason
	}
	return r.Evidence.Value
}

func (p *livePanes) parity(now time.Time) []string {
	st := p.c.styles
	ps := p.state.Parity
	age := ps.Result.Age(now)
	decision := strings.ToUpper(ps.Decision)
	if decision == "" {
		decision = "UNKNOWN"
	}
	gate := st.Verdict(ps.Result.Verdict).Render(fmt.Sprintf("gate %s %s", decision, verdictSymbol(ps.Result.Verdict)))
	counts := fmt.Sprintf("critical %s  warn %s",
		st.Verdict(countVerdict(ps.Critical)).Render(fmt.Sprint(ps.Critical)),
		st.Verdict(countVerdict(ps.Warning)).Render(fmt.Sprint(ps.Warning)))
	if ps.Decision == "" {
		counts = st.Stale.Render(orText(ps.Result.Evidence.Reason, "no report read"))
	}
	report := st.Muted.Render("report " + orText(filepath.Base(ps.Path), "none"))
	if ps.Path == "" {
		report = st.Muted.Render("report none")
	}
	// A report is written once per harness run, so its age is not a reading's
	// age: the parity check (max_age) decides, and UNKNOWN shows as STALE.
	stale := ps.Result.Verdict == checks.Unknown
	return block([]string{p.title("PARITY", age, stale), gate, counts, report}, p.width, paneHeight)
}

func countVerdict(n int) checks.Verdict {
	if n > 0 {
		return checks.Fail
	}
	return checks.Pass
}

func orText(s, def string) string {
	if s == "" || s == "." {
		return def
	}
	return s
}

func (p *livePanes) signalPane(name string, rows []signalRow, now time.Time) []string {
	lines := []string{""}
	var ages []time.Duration
	for _, r := range rows {
		s, ok := p.state.Snapshot.Samples[r.signal]
		age := time.Duration(-1)
		if ok {
			age = s.Age(now)
		}
		ages = append(ages, age)
		lines = append(lines, p.signalLine(r, s, ok, age))
	}
	age := oldest(ages...)
	lines[0] = p.title(name, age, p.c.stale(age))
	return block(lines, p.width, paneHeight)
}

func (p *livePanes) signalLine(r signalRow, s metrics.Sample, ok bool, age time.Duration) string {
	st := p.c.styles
	var value string
	switch {
	case !ok:
		value = st.Stale.Render("no data")
	case s.Err != nil:
		value = st.Crit.Render("error")
	case !s.HasValue:
		value = st.Stale.Render("no data")
	case p.c.stale(age):
		value = st.Stale.Render(formatValue(s.Value, unitOf(p.c, r.signal)))
	case lowTraffic(p.c.signals[r.signal], s):
		// A ratio of a handful of requests (the cockpit's own refused
		// probes, say) is not an alarm: dimmed, and said so.
		value = st.Muted.Render(formatValue(s.Value, unitOf(p.c, r.signal)))
		spark := fit(st.Muted.Render("(low traffic)"), p.sparkWidth())
		return fmt.Sprintf("%s %s %s %s", fit(r.label, 7), fit(value, 8), spark, st.Muted.Render(checks.FormatAge(age)))
	default:
		value = st.Verdict(level(p.c.signals[r.signal], s.Value)).Render(formatValue(s.Value, unitOf(p.c, r.signal)))
	}
	spark := fit(p.sparks[r.signal], p.sparkWidth())
	return fmt.Sprintf("%s %s %s %s", fit(r.label, 7), fit(value, 8), spark, st.Muted.Render(checks.FormatAge(age)))
}

func unitOf(c *common, signal string) string {
	if s := c.signals[signal]; s != nil {
		return s.Unit
	}
	return ""
}

// lowTraffic applies the signal's min_requests as the threshold check does
// (checks.ThresholdCheck refuses to judge such a ratio): a sample whose
// volume is unknown or below the minimum is too thin to colour.
func lowTraffic(sig *config.Signal, s metrics.Sample) bool {
	if sig == nil || sig.VolumeQuery == "" || sig.MinRequests <= 0 {
		return false
	}
	return !s.HasVolume || s.Volume < sig.MinRequests
}
