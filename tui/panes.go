package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/tui/plot"
)

// signalRow is one line of a metric pane: a label, the signal it shows, the
// unit its values take when the configuration names none (a ratio is a
// percentage whatever the file says), and the runtime whose writes it
// counts, if any.
type signalRow struct{ label, signal, unit, runtime string }

// errorRateRows and driftRows name the default signals (config.DefaultSignals);
// a configuration without them shows "no data", never a made-up value.
func errorRateRows() []signalRow {
	return []signalRow{
		{"rust", "rust_write_error_rate", "ratio", "rust"},
		{"legacy", "legacy_write_error_rate", "ratio", "legacy"},
		// The repo's Http5xxRateHigh: every legacy endpoint, not only writes.
		{"leg http", "legacy_http_5xx_ratio", "ratio", ""},
	}
}

// driftRows are DRIFT's Prometheus rows; its third row is the projector
// watch's checkpoint verdict, which is not a signal (checkpointLine).
func driftRows() []signalRow {
	return []signalRow{{"lag avg", "projection_lag", "events", ""}, {"drift", "drift_events", "count", ""}}
}

// paneHeight is the height of each live pane below 120×40: a title and
// three rows. From 120×40 up the panes grow to hold line charts.
const paneHeight = 4

// listRows is the runbook list's height with every item shown (a title
// and P1–P4, S1–S4, V1–V4, R1–R4).
const listRows = 17

// paneHeightFor is the panes' height at a terminal size and number of pane
// columns: taller panes (with charts) from 120×40 up, only as tall as
// leaves the runbook list all its rows.
func paneHeightFor(w, h, cols int) int {
	if w < wideWidth || h < 40 {
		return paneHeight
	}
	rows := 4 / cols
	return min(max((h-chromeLines-listRows)/rows, paneHeight), 14)
}

// livePanes renders HEALTH, PARITY, ERROR RATE and DRIFT: four across from
// fourPanesWidth, else two by two. Sparklines, the frozen runtimes and the
// checkpoint verdict are worked out when a new state or size arrives, not
// on every View, to keep View inside its budget.
type livePanes struct {
	c      *common
	state  runbook.State
	cols   int               // panes side by side: 4, or 2 in two rows
	width  int               // of one pane
	height int               // of one pane
	sparks map[string]string // signal → drawn sparkline
	charts [4][]string       // each pane's chart, on panes taller than paneHeight
	// chartsAt is the round the charts were last drawn for.
	chartsAt time.Time
	frozen   map[string]bool // runtime → observed frozen (not accepting writes)
	// checkpoint is the projector watch's verdict; found is false before
	// any item carries it.
	checkpoint checks.Result
	found      bool
}

func newLivePanes(c *common) *livePanes {
	return &livePanes{c: c, cols: 2, height: paneHeight, sparks: map[string]string{}, frozen: map[string]bool{}}
}

// panesLayout is how many panes go side by side at a terminal width.
func panesLayout(w int) (cols int) {
	if w >= fourPanesWidth {
		return 4
	}
	return 2
}

// Init starts nothing: the panes wait for the first round.
func (p *livePanes) Init() tea.Cmd { return nil }

// Update takes a round (StateMsg) or the terminal's background (the charts
// and sparklines are drawn again in the styles for it).
func (p *livePanes) Update(msg tea.Msg) (*livePanes, tea.Cmd) {
	switch msg := msg.(type) {
	case StateMsg:
		p.SetState(msg.State)
	case tea.BackgroundColorMsg:
		p.drawCharts()
		p.drawSparks()
	}
	return p, nil
}

// View is the four panes, laid out for the width they were given.
func (p *livePanes) View() string {
	v := p.views(p.c.at)
	if p.cols == 4 {
		return joinColumns(v[0], v[1], v[2], v[3])
	}
	return joinColumns(v[0], v[1]) + "\n" + joinColumns(v[2], v[3])
}

// ShortHelp is empty: the panes take no keys.
func (p *livePanes) ShortHelp() []key.Binding { return nil }

// FullHelp is empty: the panes take no keys.
func (p *livePanes) FullHelp() [][]key.Binding { return nil }

// SetSize sets the panes' whole box (all four) and redraws the charts and
// sparklines to fit each pane.
func (p *livePanes) SetSize(w, h int) {
	p.cols = panesLayout(w)
	p.width, p.height = (w-2*(p.cols-1))/p.cols, h/(4/p.cols)
	p.drawCharts()
	p.drawSparks()
}

// SetState takes a new observation round.
func (p *livePanes) SetState(s runbook.State) {
	p.state = s
	p.frozen["rust"], p.frozen["legacy"] = s.Writers.Rust == checks.Frozen, s.Writers.Legacy == checks.Frozen
	p.checkpoint, p.found = s.Checkpoints, !s.Checkpoints.ObservedAt.IsZero() || s.Checkpoints.Evidence.Source != ""
	if s.At.Sub(p.chartsAt) >= chartRedraw || s.At.Before(p.chartsAt) {
		p.drawCharts()
	}
	p.drawSparks()
}

// chartRedraw is how often the charts are drawn again as rounds arrive: a
// chart spans minutes over a few dozen columns, so a second's point moves
// nothing, while drawing one costs about a millisecond.
const chartRedraw = 5 * time.Second

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

// spark draws a sample's history, newest on the right, scaled to its own
// maximum, so a 0.3% error rate is visible; an all-zero history is a flat
// muted baseline. The bars are one styled run.
func (p *livePanes) spark(signal string, s metrics.Sample, w int) string {
	pts := lastPoints(s.History, w)
	values := make([]float64, len(pts))
	top := 0.0
	for i, pt := range pts {
		values[i] = pt.V
		top = max(top, pt.V)
	}
	pad := strings.Repeat(" ", w-len(pts))
	if top <= 0 {
		return pad + p.c.styles.Muted.Render(strings.Repeat("▁", len(pts)))
	}
	style := p.c.styles.Verdict(checks.Level(p.c.signals[signal], s.Value))
	return pad + style.Render(plot.Sparkline(values, top))
}

func lastPoints(h []metrics.Point, n int) []metrics.Point {
	if len(h) > n {
		return h[len(h)-n:]
	}
	return h
}

// views returns the four panes' lines, each exactly the panes' height.
func (p *livePanes) views(now time.Time) [4][]string {
	return [4][]string{
		p.pane("HEALTH", p.health(now), p.charts[0]),
		p.parity(now),
		p.pane("ERROR RATE (5xx)", p.signalLines(errorRateRows(), now), p.charts[2]),
		p.pane("DRIFT", append(p.signalLines(driftRows(), now), p.checkpointLine(now)), p.charts[3]),
	}
}

// paneLine is one row of a pane with the age of its data, whether that
// age makes it stale (each source has its own limit) and whether it is
// live (common.live: as new as its source gets).
type paneLine struct {
	text        string
	age         time.Duration
	stale, live bool
}

// pane is the one shape of HEALTH, ERROR RATE and DRIFT: a title with the
// oldest row's age, STALE when any row is, the rows, then the chart if the
// pane is tall enough for one.
func (p *livePanes) pane(name string, rows []paneLine, chart []string) []string {
	lines := make([]string, 1, len(rows)+1)
	ages := make([]time.Duration, len(rows))
	stale, live := len(rows) == 0, len(rows) > 0
	for i, r := range rows {
		lines = append(lines, r.text)
		ages[i] = r.age
		stale = stale || r.stale
		live = live && r.live
	}
	text := ageText(oldest(ages...))
	if live {
		text = liveWord
	}
	lines[0] = p.title(name, text, stale)
	return block(append(lines, chart...), p.width, p.height)
}

// title renders a pane title with its data age (text), or STALE when too old.
func (p *livePanes) title(name, text string, stale bool) string {
	st := p.c.styles
	style := st.Muted
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

func (p *livePanes) health(now time.Time) []paneLine {
	st := p.c.styles
	if len(p.state.Health) == 0 {
		return []paneLine{{text: st.Stale.Render("no health probes yet"), age: -1, stale: true}}
	}
	lines := make([]paneLine, 0, len(p.state.Health))
	for _, r := range p.state.Health {
		age := r.Age(now)
		v := st.Verdict(r.Verdict).Render(fmt.Sprintf("%s %s", verdictSymbol(r.Verdict), r.Verdict))
		text := fmt.Sprintf("%s %s %s", fit(r.Title, 16), fit(v, 10), fit(valueOf(r), max(p.width-34, 0)))
		stale := p.c.stale(age)
		lines = append(lines, paneLine{text: text, age: age, stale: stale, live: p.c.live(age, 0, stale)})
	}
	return lines
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
	report := st.Muted.Render("report " + orText(safetext.Clean(filepath.Base(ps.Path)), "none"))
	if ps.Path == "" {
		report = st.Muted.Render("report none")
	}
	// A report is written once per harness run, so its age is not a reading's
	// age: the parity check (max_age) decides, and UNKNOWN shows as STALE.
	stale := ps.Result.Verdict == checks.Unknown
	return block([]string{p.title("PARITY", ageText(age), stale), gate, counts, report}, p.width, p.height)
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

// signalLines are a metric pane's Prometheus rows. A row is stale when its
// data (Sample.Age: stopped scrapes age it) is older than its signal's
// stale_after.
func (p *livePanes) signalLines(rows []signalRow, now time.Time) []paneLine {
	lines := make([]paneLine, len(rows))
	for i, r := range rows {
		s, ok := p.state.Snapshot.Samples[r.signal]
		age := time.Duration(-1)
		if ok {
			age = s.Age(now)
		}
		stale := p.c.staleSignal(r.signal, age)
		lines[i] = paneLine{text: p.signalLine(r, s, ok, age, stale, now), age: age, stale: stale, live: p.c.live(age, 0, stale)}
	}
	return lines
}

// Row columns: label, value, sparkline (sparkWidth) and age.
const labelWidth, valueWidth = 8, 8

func (p *livePanes) signalLine(r signalRow, s metrics.Sample, ok bool, age time.Duration, stale bool, now time.Time) string {
	st := p.c.styles
	text := checks.FormatValue(s.Value, p.unitOf(r))
	ageStyle := st.Muted
	if stale {
		ageStyle = st.Stale
	}
	// note replaces the sparkline when the value is not to be judged.
	var value, note string
	sig := p.c.signals[r.signal]
	absentZero, _ := s.Absence(sigOrEmpty(sig), now, checks.StaleAfter(sig, p.c.staleAfter))
	switch {
	case sig.NotJudged() != "":
		value, note = st.Stale.Render("n/a"), p.widest("(not judged)", "("+sig.NotJudged()+")")
	case sig != nil && sig.AppliesWhile == config.AppliesLegacyWrites && p.frozen["legacy"]:
		// The legacy projection moves only on legacy writes: grey, never ok.
		value, note = st.Stale.Render("n/a"), p.widest("(n/a)", "(n/a: legacy no longer projects)")
	case ok && s.Err == nil && !stale && (!s.HasValue || s.Silent) && absentZero:
		// A counter not created yet, on an exporter proven alive.
		value, note = st.OK.Render(checks.FormatValue(0, p.unitOf(r))), p.widest("(no event yet)", "(no series yet: no event)")
	case !ok:
		value = st.Stale.Render("no data")
	case s.Err != nil:
		// A query that failed tells nothing: UNKNOWN, grey, with its
		// reason (whole in the evidence view), never a red word.
		value, note = st.Muted.Render("UNKNOWN"), p.widest("(query failed)", "("+errTail(s.Err)+")", "(query failed: "+errTail(s.Err)+")")
	case !s.HasValue && p.frozen[r.runtime]:
		// A frozen runtime that no write has reached has no series yet
		// (Cloud Run counts only answered requests): nothing to judge.
		value, note = st.Muted.Render("—"), p.widest("(frozen)", "(frozen: no writes routed)")
	case !s.HasValue:
		value = st.Stale.Render("no data")
	case stale:
		value = st.Stale.Render(text)
	case p.frozen[r.runtime]:
		// A frozen runtime refuses writes (Rust answers 503): its ratio is
		// those refusals, expected, and the incidents do not judge it.
		value, note = st.Muted.Render(text), p.widest("(frozen)", "(frozen: refusals expected)")
	case lowTraffic(p.c.signals[r.signal], s):
		// A ratio of a handful of requests (the cockpit's own refused
		// probes, say) is not an alarm: dimmed, and said so.
		value, note = st.Muted.Render(text), "(low traffic)"
	default:
		value = st.Verdict(checks.Level(p.c.signals[r.signal], s.Value)).Render(text)
	}
	spark := p.sparks[r.signal]
	if note != "" {
		spark = st.Muted.Render(note)
	}
	return fmt.Sprintf("%s %s %s %s", fit(r.label, labelWidth), fit(value, valueWidth), fit(spark, p.sparkWidth()), ageStyle.Render(p.c.readingAge(age, 0, stale)))
}

// errTail is the innermost part of an error's message ("connection
// refused" of "querying prometheus: Post …: connection refused"), which
// fits a pane's row.
func errTail(err error) string {
	msg := safetext.Clean(err.Error())
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// sigOrEmpty is sig, or an empty signal for a row whose signal is not
// configured (its row shows "no data").
func sigOrEmpty(sig *config.Signal) *config.Signal {
	if sig == nil {
		return &config.Signal{}
	}
	return sig
}

// widest is the longest of the texts that fits the sparkline's place.
func (p *livePanes) widest(texts ...string) string {
	best := texts[0]
	for _, t := range texts {
		if len([]rune(t)) <= p.sparkWidth() {
			best = t
		}
	}
	return best
}

// checkpointLine is the projector watch's checkpoint verdict: a short word,
// its age, no sparkline (it is a verdict, not a series).
func (p *livePanes) checkpointLine(now time.Time) paneLine {
	st := p.c.styles
	r := p.checkpoint
	age := r.Age(now)
	stale := p.c.stale(age)
	value := st.Verdict(r.Verdict).Render(verdictSymbol(r.Verdict) + " " + checkpointWord(r))
	switch {
	case !p.found:
		value = st.Stale.Render("not observed")
	case stale:
		value = st.Stale.Render(verdictSymbol(r.Verdict) + " " + checkpointWord(r))
	}
	ageStyle := st.Muted
	if stale {
		ageStyle = st.Stale
	}
	text := fmt.Sprintf("%s %s %s", fit("ckpt", labelWidth), fit(value, valueWidth+1+p.sparkWidth()), ageStyle.Render(p.c.readingAge(age, p.c.probeEvery, stale)))
	return paneLine{text: text, age: age, stale: stale, live: p.c.live(age, p.c.probeEvery, stale)}
}

// checkpointWord says the checkpoint verdict in a word or two; the whole
// evidence is one key away (e on P3 or V4).
func checkpointWord(r checks.Result) string {
	switch {
	case r.Verdict == checks.Fail:
		return "REGRESSED"
	case r.Verdict == checks.Warn && strings.HasPrefix(r.Evidence.Reason, "checkpoint lost on restart"):
		return "lost on restart"
	case r.Verdict == checks.Warn:
		return "warn"
	case r.Verdict == checks.NotJudged && r.Evidence.Value == checks.ProjectorNoRuns:
		return checks.ProjectorNoRuns
	case r.Verdict == checks.NotJudged:
		return "n/a"
	case r.Verdict == checks.Pass:
		return "ok"
	case r.Verdict == checks.Pending:
		return "pending"
	}
	return "unknown"
}

// unitOf is the row's unit: the signal's configured one, else the row's own.
func (p *livePanes) unitOf(r signalRow) string {
	if s := p.c.signals[r.signal]; s != nil && s.Unit != "" {
		return s.Unit
	}
	return r.unit
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
