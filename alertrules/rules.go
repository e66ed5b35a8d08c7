// Package alertrules turns one environment's incident criteria and signal
// thresholds into Prometheus alerting rules, and generates promtool test
// cases for them, so the team's Alertmanager pages on the runbook's
// criteria when no cockpit runs.
//
// Every query is the config's own: the rules repeat the configured PromQL
// with its threshold, direction, for and keep_firing_for, as the cockpit's
// threshold checks judge it (checks.ThresholdCheck). The only series this
// package names are the cockpit's own (selfmetrics), for the criteria no
// PromQL can express: parity reports, projector endpoints, the writer check.
package alertrules

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// Severities of the generated rules: an incident criterion asks for the
// rollback (critical); a signal's crit threshold fails its check and holds
// the runbook's gates (warning); its warn threshold is shown amber (info).
const (
	SeverityIncident = "critical"
	SeverityCrit     = "warning"
	SeverityWarn     = "info"
)

// Rule is one alerting rule, with what its test cases are generated from.
type Rule struct {
	Alert         string
	Expr          string
	For           time.Duration
	KeepFiringFor time.Duration
	// Labels and Annotations are ordered pairs, written in this order.
	Labels      [][2]string
	Annotations [][2]string
	// Comment is written above the rule: why it has this form.
	Comment string

	// parts are the threshold conditions the rule fires on (any of them);
	// empty for a rule on the cockpit's own series (self).
	parts []part
	// self is the incident a selfmetrics rule reads; "" otherwise.
	self string
	// incident is the criterion a rule judges, and its title; "" for a
	// signal's rule.
	incident, title string
}

// part is one configured query compared with a threshold, guarded by the
// signal's volume query when it has one.
type part struct {
	query, volume string
	cmp           string // ">" or "<"
	threshold     float64
	minVolume     float64
}

// Export is what `cockpit export alert-rules` writes for one environment.
type Export struct {
	Env        string
	ConfigPath string
	Prometheus string
	Rules      []Rule
	// Skipped says, for each signal that gets no rule, why.
	Skipped []string
	// Untested names the rules no synthesized input can feed, and why.
	Untested []string

	// cases are each rule's promtool cases (nil: untested).
	cases [][]testCase
}

// Build makes the rules for environment envName of cfg. A criterion whose
// signal has no query in that environment is an error naming it.
func Build(cfg *config.Config, envName string) (*Export, error) {
	env := cfg.Environments[envName]
	if env == nil {
		return nil, fmt.Errorf("no environment %q in %s (it has %v): pass one of them to --env",
			envName, cfg.Path, slices.Sorted(maps.Keys(cfg.Environments)))
	}
	path := cfg.Path
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	b := builder{cfg: cfg, env: env, configPath: path}
	ex := &Export{Env: envName, ConfigPath: path, Prometheus: hostAndPath(env.Prometheus.URL)}
	for _, name := range slices.Sorted(maps.Keys(cfg.Incidents)) {
		r, err := b.incident(cfg.Incidents[name])
		if err != nil {
			return nil, err
		}
		ex.Rules = append(ex.Rules, r)
	}
	ex.Rules = append(ex.Rules, b.writers())
	for _, name := range slices.Sorted(maps.Keys(env.Signals)) {
		rules, skipped, err := b.signal(env.Signals[name])
		if err != nil {
			return nil, err
		}
		ex.Rules = append(ex.Rules, rules...)
		if skipped != "" {
			ex.Skipped = append(ex.Skipped, skipped)
		}
	}
	if err := ex.planCases(); err != nil {
		return nil, err
	}
	return ex, nil
}

type builder struct {
	cfg        *config.Config
	env        *config.Environment
	configPath string
}

// incident is the rule of one criterion: on its signal (or on each
// authority's signal, either firing), or on the cockpit's own series when
// its source is not Prometheus.
func (b builder) incident(inc *config.Incident) (Rule, error) {
	r := Rule{Alert: AlertName(inc.Name), For: inc.For.D(), KeepFiringFor: inc.KeepFiringFor.D(), incident: inc.Name, title: inc.Title}
	r.Labels = b.labels([2]string{"runbook_item", inc.Runbook}, [2]string{"incident", inc.Name}, [2]string{"severity", SeverityIncident})
	words := runbookWords(inc.Runbook, inc.Title)
	var judged string
	switch {
	case inc.Source != "":
		r = selfRule(r, b.env.Name)
		judged = "the cockpit's own verdict (source " + inc.Source + "), exported on its --metrics-addr"
	default:
		names := []string{inc.Signal}
		if inc.Authority != nil {
			names = []string{inc.Authority.Rust, inc.Authority.Legacy}
			r.Comment = "The cockpit judges the signal of whichever runtime it observes accepting writes (its probes);\n" +
				"PromQL cannot see that, so either runtime's signal fires this rule. The configured queries leave\n" +
				"a frozen runtime's refusals out, so a frozen runtime's signal has no errors to fire on."
		}
		for _, sn := range names {
			p, err := b.incidentPart(inc, sn)
			if err != nil {
				return Rule{}, err
			}
			r.parts = append(r.parts, p...)
		}
		r.Expr = anyOf(r.parts)
		judged = fmt.Sprintf("%s %s for %s", strings.Join(names, " or "), thresholdText(inc.Above, inc.Below, b.unit(names[0])), durationText(inc.For.D()))
	}
	if inc.KeepFiringFor > 0 {
		judged += fmt.Sprintf(", keeps firing %s after it clears", durationText(inc.KeepFiringFor.D()))
	}
	r.Annotations = b.annotations(
		fmt.Sprintf("%s %s in %s", inc.Runbook, inc.Title, b.env.Name), words,
		fmt.Sprintf("incident criterion %s: %s", inc.Name, judged),
		b.command("rollback", "--approve", "rollback"))
	return r, nil
}

// incidentPart is one signal of a criterion compared with its threshold.
func (b builder) incidentPart(inc *config.Incident, signal string) ([]part, error) {
	sig := b.env.Signals[signal]
	if sig == nil || strings.TrimSpace(sig.Query) == "" {
		return nil, fmt.Errorf("incident %s (%s) reads signal %q, which has no query in environment %s of %s: add signals.%s.query",
			inc.Name, inc.Runbook, signal, b.env.Name, b.cfg.Path, signal)
	}
	var parts []part
	if inc.Above != nil {
		parts = append(parts, newPart(sig, ">", *inc.Above))
	}
	if inc.Below != nil {
		parts = append(parts, newPart(sig, "<", *inc.Below))
	}
	return parts, nil
}

// writers is the exactly-one-writer check (runbook W): read from the safe
// probes, so only the cockpit's own series carry it.
func (b builder) writers() Rule {
	r := Rule{Alert: AlertName(runbook.WritersID), incident: runbook.WritersID, title: "exactly one writer"}
	r.Labels = b.labels([2]string{"runbook_item", "W"}, [2]string{"incident", runbook.WritersID}, [2]string{"severity", SeverityIncident})
	r = selfRule(r, b.env.Name)
	r.Annotations = b.annotations(
		"W exactly one writer in "+b.env.Name,
		"Exactly one runtime accepts writes (observed by the cockpit's safe write probes).",
		fmt.Sprintf("both runtimes accepting writes, or neither for %s: the cockpit's own verdict, exported on its --metrics-addr",
			durationText(b.cfg.ExactlyOneWriter.NeitherFor.D())),
		b.command("rollback", "--approve", "rollback"))
	return r
}

// selfRule reads the cockpit's own cockpit_incident_state: the cockpit has
// already applied the criterion's for and keep_firing_for, so the rule adds
// none; several cockpits scraped at once make one alert.
func selfRule(r Rule, env string) Rule {
	r.self = r.incident
	r.For, r.KeepFiringFor = 0, 0
	r.Expr = selfExpr(env, r.incident, "firing") + " == 1"
	r.Comment = fmt.Sprintf("%s is judged from what PromQL cannot read (report files, projector endpoints or the\n"+
		"cockpit's own probes): this rule reads the cockpit's --metrics-addr series (docs/metrics.md) and fires\n"+
		"only while a cockpit runs for %s and is scraped.", r.title, env)
	return r
}

// companion is the selfmetrics form of an incident rule whose query no
// synthesized input can feed: the same criterion as the cockpit judges it,
// so it is tested at least there.
func companion(r Rule, env, why string) Rule {
	c := Rule{Alert: r.Alert + "_from_cockpit", incident: r.incident, title: r.title, Labels: r.Labels, Annotations: r.Annotations}
	c = selfRule(c, env)
	c.Comment = fmt.Sprintf("%s's query cannot be fed synthetically (%s), so rules_test.yml cannot test it:\n"+
		"this companion reads the cockpit's own verdict of the same criterion (cockpit_incident_state, --metrics-addr),\n"+
		"tested there, and fires only while a cockpit runs for %s and is scraped.", r.Alert, why, env)
	return c
}

// selfExpr selects one state of an incident in the cockpit's exposition.
func selfExpr(env, incident, state string) string {
	return fmt.Sprintf(`max by (env, incident) (cockpit_incident_state{env=%s, incident=%s, state=%s})`,
		strconv.Quote(env), strconv.Quote(incident), strconv.Quote(state))
}

// signal is a signal's crit and warn rules, as its threshold check judges
// them: crit with the signal's for and keep_firing_for, warn at once.
func (b builder) signal(sig *config.Signal) (rules []Rule, skipped string, err error) {
	switch {
	case sig.NotJudged() != "":
		return nil, fmt.Sprintf("%s: %s", sig.Name, sig.NotJudged()), nil
	case sig.Crit == nil && sig.Warn == nil:
		return nil, sig.Name + ": no threshold (informational)", nil
	case strings.TrimSpace(sig.Query) == "":
		return nil, "", fmt.Errorf("signal %s has thresholds but no query in environment %s of %s: add signals.%s.query",
			sig.Name, b.env.Name, b.cfg.Path, sig.Name)
	}
	cmp := ">"
	if sig.Direction == "below" {
		cmp = "<"
	}
	add := func(level string, v float64, severity string, forD, keep time.Duration) {
		r := Rule{Alert: AlertName(sig.Name + "_" + level), For: forD, KeepFiringFor: keep}
		r.parts = []part{newPart(sig, cmp, v)}
		r.Expr = anyOf(r.parts)
		r.Labels = b.labels([2]string{"signal", sig.Name}, [2]string{"severity", severity})
		judged := fmt.Sprintf("%s %s %s", sig.Name, cmp, checks.FormatValue(v, sig.Unit))
		if forD > 0 {
			judged += " for " + durationText(forD)
		}
		r.Annotations = b.annotations(fmt.Sprintf("%s %s in %s", sig.Title, level, b.env.Name),
			"", fmt.Sprintf("signal %s %s threshold: %s", sig.Name, level, judged), b.command("status"))
		rules = append(rules, r)
	}
	if sig.Crit != nil {
		add("crit", *sig.Crit, SeverityCrit, sig.For.D(), sig.KeepFiringFor.D())
	}
	if sig.Warn != nil {
		add("warn", *sig.Warn, SeverityWarn, 0, 0)
	}
	return rules, "", nil
}

func (b builder) unit(signal string) string {
	if s := b.env.Signals[signal]; s != nil {
		return s.Unit
	}
	return ""
}

// labels are extra, then the environment.
func (b builder) labels(extra ...[2]string) [][2]string {
	return append(extra, [2]string{"environment", b.env.Name})
}

// annotations are the rule's summary, the runbook's words (when the item
// has them), what is judged, the command to run and the dashboard.
func (b builder) annotations(summary, words, description, command string) [][2]string {
	a := [][2]string{{"summary", summary}}
	if words != "" {
		a = append(a, [2]string{"runbook", words})
	}
	a = append(a, [2]string{"description", description}, [2]string{"command", command})
	if b.env.Dashboard != "" {
		a = append(a, [2]string{"dashboard", b.env.Dashboard})
	}
	return a
}

// command is the cockpit verb an on-call runs for this environment.
func (b builder) command(verb string, args ...string) string {
	parts := append([]string{"cockpit", verb, "--config", shellQuote(b.configPath), "--env", shellQuote(b.env.Name)}, args...)
	return strings.Join(parts, " ")
}

// hostAndPath is a URL without its user, password and query, which may
// hold secrets: what a rules file may name.
func hostAndPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(the environment's prometheus.url)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\|&;<>()*?[]#~{}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runbookWords are the runbook's own words for an item ("I2: Sustained
// write-path error spike."), or the criterion's title for an item the
// runbook does not have.
func runbookWords(id, title string) string {
	if it := runbook.FindItem(runbook.RunbookItems(), id); it != nil && it.Text != "" {
		return id + ": " + it.Text
	}
	return id + ": " + title
}

func newPart(sig *config.Signal, cmp string, threshold float64) part {
	p := part{query: vectorQuery(sig.Query), cmp: cmp, threshold: threshold}
	if sig.VolumeQuery != "" && sig.MinRequests > 0 {
		p.volume, p.minVolume = vectorQuery(sig.VolumeQuery), sig.MinRequests
	}
	return p
}

// vectorQuery wraps a scalar query in vector(), as the cockpit's batch
// does: an alert needs a vector.
func vectorQuery(q string) string {
	if e, err := parser.NewParser(parser.Options{}).ParseExpr(q); err == nil && e.Type() == parser.ValueTypeScalar {
		return "vector(" + q + ")"
	}
	return q
}

// cond is the part's condition with comparator cmp; a volume guard keeps
// a ratio on too little traffic from firing (the check's "insufficient
// traffic"), as it never passes there either.
func (p part) cond(cmp string) string {
	c := fmt.Sprintf("(%s) %s %s", p.query, cmp, formatFloat(p.threshold))
	if p.volume != "" {
		c += fmt.Sprintf(" and on() (%s) >= %s", p.volume, formatFloat(p.minVolume))
	}
	return c
}

// bare is the part's condition without its volume guard.
func (p part) bare() string {
	return fmt.Sprintf("(%s) %s %s", p.query, p.cmp, formatFloat(p.threshold))
}

// unguarded holds when a volume-guarded part breaches its threshold,
// whatever its volume; "" when no part has a guard.
func unguarded(parts []part) string {
	var cs []string
	for _, p := range parts {
		if p.volume != "" {
			cs = append(cs, "("+p.bare()+")")
		}
	}
	return strings.Join(cs, " or ")
}

// negated is the comparator that holds when cmp does not.
func negated(cmp string) string {
	if cmp == "<" {
		return ">="
	}
	return "<="
}

// anyOf fires when any part does.
func anyOf(parts []part) string {
	if len(parts) == 1 {
		return parts[0].cond(parts[0].cmp)
	}
	cs := make([]string, len(parts))
	for i, p := range parts {
		cs[i] = "(" + p.cond(p.cmp) + ")"
	}
	return strings.Join(cs, " or ")
}

// allWithin holds when every part has data inside its threshold.
func allWithin(parts []part) string {
	cs := make([]string, len(parts))
	for i, p := range parts {
		cs[i] = "(" + p.cond(negated(p.cmp)) + ")"
	}
	return strings.Join(cs, " and on() ")
}

// AlertName is name in snake_case: lower case, runs of anything but
// letters and digits one underscore, never starting with a digit.
func AlertName(name string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
			continue
		}
		under = true
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "cockpit_" + s
	}
	return s
}

func thresholdText(above, below *float64, unit string) string {
	var parts []string
	if above != nil {
		parts = append(parts, "above "+checks.FormatValue(*above, unit))
	}
	if below != nil {
		parts = append(parts, "below "+checks.FormatValue(*below, unit))
	}
	return strings.Join(parts, " or ")
}

func durationText(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	return checks.ShortDuration(d)
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
