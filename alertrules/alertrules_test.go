package alertrules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/openagents/cockpit/alertrules"
	"github.com/openagents/cockpit/config"
)

// defaultsConfig is an environment on the default signals and incidents
// (the production ones), with a dashboard.
const defaultsConfig = `
environments:
  production:
    production: true
    dashboard: "https://grafana.example/d/cutover"
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`

func noEnv(string) (string, bool) { return "", false }

func load(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("/etc/cockpit/cockpit.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatalf("parsing the config: %v", err)
	}
	return cfg
}

// builds are the exports the tests share, by config and environment:
// Build is deterministic, and its search of inputs is most of what this
// package's tests cost under -race, so each is built once. Tests only
// read them.
var builds sync.Map // key → func() (*alertrules.Export, error)

// build is env's export of the config loadCfg reads, built once per key.
func build(t *testing.T, key string, loadCfg func() (*config.Config, error), env string) *alertrules.Export {
	t.Helper()
	f, _ := builds.LoadOrStore(key+"\x00"+env, sync.OnceValues(func() (*alertrules.Export, error) {
		cfg, err := loadCfg()
		if err != nil {
			return nil, fmt.Errorf("loading the config: %w", err)
		}
		return alertrules.Build(cfg, env)
	}))
	ex, err := f.(func() (*alertrules.Export, error))()
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// built is production's export of the config src, built once.
func built(t *testing.T, src string) *alertrules.Export {
	t.Helper()
	return build(t, src, func() (*config.Config, error) {
		return config.Parse("/etc/cockpit/cockpit.yaml", []byte(src), noEnv)
	}, "production")
}

// rulesFile is rules.yml as Prometheus reads it.
type rulesFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert         string            `yaml:"alert"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func parseRules(t *testing.T, b []byte) rulesFile {
	t.Helper()
	var f rulesFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("rules.yml does not parse: %v\n%s", err, b)
	}
	if len(f.Groups) != 1 {
		t.Fatalf("want one group, got %d", len(f.Groups))
	}
	return f
}

func TestDefaultCriteriaBecomeRulesWithTheirThresholdsAndWords(t *testing.T) {
	t.Parallel()
	text := alertrules.RenderRules(built(t, defaultsConfig))
	f := parseRules(t, text)
	byName := map[string]int{}
	for i, r := range f.Groups[0].Rules {
		byName[r.Alert] = i
	}
	for _, want := range []string{"write_error_spike", "frozen_writes", "misrouted_writes", "unbounded_drift", "critical_drift",
		"critical_parity", "checkpoint_regression", "exactly_one_writer", "rust_write_error_rate_crit", "rust_write_error_rate_warn",
		"drift_events_crit", "drift_events_warn", "legacy_http_5xx_ratio_warn"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("no rule %s; rules: %v", want, byName)
		}
	}
	for _, not := range []string{"projection_lag_crit", "projection_lag_warn", "rust_write_share_crit", "legacy_http_5xx_ratio_crit"} {
		if _, ok := byName[not]; ok {
			t.Errorf("rule %s exists: the signal is not judged or has no such threshold", not)
		}
	}

	spike := f.Groups[0].Rules[byName["write_error_spike"]]
	def := config.DefaultSignals()
	for _, q := range []string{def["rust_write_error_rate"].Query, def["legacy_write_error_rate"].Query, def["rust_write_error_rate"].VolumeQuery} {
		if !strings.Contains(spike.Expr, "("+q+")") {
			t.Errorf("write_error_spike's expr does not carry the configured query %s:\n%s", q, spike.Expr)
		}
	}
	if !strings.Contains(spike.Expr, ") > 0.02 and on() (") || !strings.Contains(spike.Expr, ") >= 20") {
		t.Errorf("write_error_spike: want the 0.02 threshold guarded by min_requests 20:\n%s", spike.Expr)
	}
	if spike.For != "10m" || spike.KeepFiringFor != "5m" {
		t.Errorf("write_error_spike: for %q keep_firing_for %q, want the criterion's 10m and 5m", spike.For, spike.KeepFiringFor)
	}
	wantLabels := map[string]string{"runbook_item": "I2", "incident": "write_error_spike", "severity": "critical", "environment": "production"}
	for k, v := range wantLabels {
		if spike.Labels[k] != v {
			t.Errorf("write_error_spike label %s = %q, want %q", k, spike.Labels[k], v)
		}
	}
	for k, want := range map[string]string{
		"runbook":   "I2: Sustained write-path error spike.",
		"command":   "cockpit rollback --config /etc/cockpit/cockpit.yaml --env production --approve rollback",
		"dashboard": "https://grafana.example/d/cutover",
	} {
		if got := spike.Annotations[k]; got != want {
			t.Errorf("write_error_spike annotation %s = %q, want %q", k, got, want)
		}
	}

	parity := f.Groups[0].Rules[byName["critical_parity"]]
	if want := `max by (env, incident) (cockpit_incident_state{env="production", incident="critical_parity", state="firing"}) == 1`; parity.Expr != want {
		t.Errorf("critical_parity reads %s, want the cockpit's own series %s", parity.Expr, want)
	}
	if parity.For != "" {
		t.Errorf("critical_parity has for %s: the cockpit's state has already applied the criterion's", parity.For)
	}
	if !strings.Contains(string(text), "# critical parity diffs is judged from what PromQL cannot read") {
		t.Error("the selfmetrics rule does not say in a comment why it reads the cockpit's series")
	}
	if !strings.Contains(string(text), "# No rule for signal projection_lag: not judged") {
		t.Error("the file does not say why projection_lag has no rule")
	}

	below := f.Groups[0].Rules[byName["drift_events_warn"]]
	if below.For != "" || below.Labels["severity"] != alertrules.SeverityWarn {
		t.Errorf("drift_events_warn: for %q severity %q, want none and %s (a warn threshold is judged at once)", below.For, below.Labels["severity"], alertrules.SeverityWarn)
	}
}

// shapesConfig has what the defaults lack: a signal judged below its
// threshold, with its own for and keep_firing_for; and a criterion whose
// query fires on no data (absent()), which no input keeps within its
// threshold, so it cannot be fed synthetically. One config for both: each
// config costs a build, the search of its inputs.
const shapesConfig = defaultsConfig + `
signals:
  rust_write_share:
    direction: below
    crit: 0.5
    for: 3m
    keep_firing_for: 1m
  legacy_exporter_down:
    title: "legacy exporter gone"
    query: 'absent(up{job="legacy-runtime"})'
    crit: 0
incidents:
  exporter_gone: {title: "legacy exporter gone", runbook: I3, signal: legacy_exporter_down, above: 0, for: 1m}
  write_error_spike: {title: "write error spike", runbook: I2, authority: {rust: rust_write_error_rate, legacy: legacy_write_error_rate}, above: 0.02, for: 10m, keep_firing_for: 5m}
`

func TestBelowDirectionAndExplicitThresholdsAreKept(t *testing.T) {
	t.Parallel()
	f := parseRules(t, alertrules.RenderRules(built(t, shapesConfig)))
	for _, r := range f.Groups[0].Rules {
		if r.Alert != "rust_write_share_crit" {
			continue
		}
		if !strings.HasSuffix(r.Expr, ") < 0.5") || r.For != "3m" || r.KeepFiringFor != "1m" {
			t.Errorf("rust_write_share_crit: expr %s for %s keep %s, want < 0.5 for 3m keep 1m", r.Expr, r.For, r.KeepFiringFor)
		}
		return
	}
	t.Error("no rust_write_share_crit rule")
}

func TestUnknownEnvironmentNamesTheKnownOnes(t *testing.T) {
	t.Parallel()
	_, err := alertrules.Build(load(t, defaultsConfig), "prod")
	if err == nil || !strings.Contains(err.Error(), `no environment "prod"`) || !strings.Contains(err.Error(), "[production]") {
		t.Fatalf("want an error naming prod and the known environments, got %v", err)
	}
}

func TestCriterionWithoutQueryNamesItAndTheFix(t *testing.T) {
	t.Parallel()
	cfg := load(t, defaultsConfig)
	cfg.Environments["production"].Signals["misrouted_writes"].Query = " "
	_, err := alertrules.Build(cfg, "production")
	want := `incident misrouted_writes (I2) reads signal "misrouted_writes", which has no query in environment production of /etc/cockpit/cockpit.yaml: add signals.misrouted_writes.query`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	delete(cfg.Environments["production"].Signals, "misrouted_writes")
	if _, err := alertrules.Build(cfg, "production"); err == nil || !strings.Contains(err.Error(), "no query") {
		t.Fatalf("a removed signal: got %v", err)
	}
}

func TestUnwritableOutNamesTheDirectory(t *testing.T) {
	t.Parallel()
	ex := built(t, defaultsConfig)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := alertrules.Write(ex, filepath.Join(file, "rules"))
	if err == nil || !strings.Contains(err.Error(), "creating --out "+filepath.Join(file, "rules")) {
		t.Fatalf("want an error naming --out, got %v", err)
	}
}

func TestAlertNamesAreSnakeCase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"write_error_spike": "write_error_spike", "Write Error-Spike": "write_error_spike", "9lives": "cockpit_9lives",
		"a..b__c": "a_b_c", "": "cockpit_",
	} {
		if got := alertrules.AlertName(in); got != want {
			t.Errorf("AlertName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnfeedableQueryIsSaidAndItsCriterionTestedOnTheCockpitsSeries: the
// rule stays (it is what pages), the tests file says why it has no cases,
// and the criterion gets a companion on cockpit_incident_state that is
// tested; promtool agrees with both files.
func TestUnfeedableQueryIsSaidAndItsCriterionTestedOnTheCockpitsSeries(t *testing.T) {
	t.Parallel()
	out, err := alertrules.Write(built(t, shapesConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := os.ReadFile(out.RulesPath)
	tests, _ := os.ReadFile(out.TestsPath)
	for _, want := range []string{"- alert: exporter_gone\n", "- alert: exporter_gone_from_cockpit\n",
		`incident=\"exporter_gone\", state=\"firing\"`, "# exporter_gone's query cannot be fed synthetically"} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("rules.yml lacks %q", want)
		}
	}
	for _, want := range []string{"# Not tested here: exporter_gone: its query cannot be fed synthetically (no synthesized input keeps its data within the threshold)",
		`name: "exporter_gone_from_cockpit fires at 1 (no for)"`, `name: "write_error_spike fires at `,
		`name: "rust_write_share_crit fires at `} {
		if !strings.Contains(string(tests), want) {
			t.Errorf("rules_test.yml lacks %q", want)
		}
	}
	if strings.Contains(string(tests), "alertname: exporter_gone\n") {
		t.Error("rules_test.yml has a case for exporter_gone, which it cannot feed")
	}
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", out.RulesPath}, {"test", "rules", out.TestsPath}} {
		if got, err := runPromtool(t, bin, args...); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, got)
		}
	}
}
