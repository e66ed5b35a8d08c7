package config

import (
	"errors"
	"strings"
	"testing"
)

const minimal = `
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    actuators:
      set_rust_write_mode: {argv: [gcloud, run, services, update, runtime, --project, oa-staging, --update-env-vars, "RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}"]}
`

func noEnv(string) (string, bool) { return "", false }

func TestParseAppliesDefaults(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	env := cfg.Environments["staging"]
	if env.Name != "staging" || env.Database.Roles.Owner != "oa_runtime_owner" || env.LegacyRuntime.SignatureSecretEnv != "RUNTIME_SIGNATURE_SECRET" {
		t.Errorf("environment defaults not applied: %+v", env)
	}
	if got := env.Signals["rust_write_error_rate"]; got == nil || got.OnNoData != PolicyHold || got.Crit == nil || *got.Crit != 0.02 {
		t.Errorf("default signal rust_write_error_rate = %+v", got)
	}
	if env.RustRuntime.HealthPath != "/healthz" || env.RustRuntime.ReadyPath != "/readyz" || env.LegacyRuntime.HealthPath != "/internal/v1/health" {
		t.Errorf("probe paths not defaulted: rust %q %q, legacy %q", env.RustRuntime.HealthPath, env.RustRuntime.ReadyPath, env.LegacyRuntime.HealthPath)
	}
	if cfg.QueryTimeout >= cfg.Refresh {
		t.Errorf("query timeout %s not below refresh %s", cfg.QueryTimeout, cfg.Refresh)
	}
	if len(cfg.Hash) != 64 {
		t.Errorf("config hash %q", cfg.Hash)
	}
}

func TestSignalOverrideKeepsUnsetDefaults(t *testing.T) {
	src := minimal + `
signals:
  legacy_write_error_rate:
    query: 'sum(rate(phoenix_endpoint_stop_duration_count{status_class="5xx"}[5m])) / sum(rate(phoenix_endpoint_stop_duration_count[5m]))'
`
	cfg, err := Parse("c.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Environments["staging"].Signals["legacy_write_error_rate"]
	if !strings.Contains(s.Query, "phoenix") || s.Crit == nil || *s.Crit != 0.02 || s.Unit != "ratio" {
		t.Errorf("override lost defaults or query: %+v", s)
	}
}

func TestEveryProblemIsReportedWithItsLine(t *testing.T) {
	src := `refresh: 1s
query_timeout: 2s
environments:
  staging:
    prometheus: {url: "not a url"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    cohorts: [5, 50, 25]
    actuators:
      route_writes: {argv: [gcloud, --project=p, "--to={{.Mode}}"]}
signals:
  write_error_rate:
    query: 'sum(rate(x[5m]'
incidents:
  spike: {signal: nope, above: 1, runbook: I9}
`
	_, err := Parse("c.yaml", []byte(src), noEnv)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	want := []string{
		"c.yaml:2: query_timeout: 2s must be below refresh",
		"c.yaml:5: environments.staging.prometheus.url: \"not a url\" is not an http(s) URL",
		"c.yaml:8: environments.staging.cohorts",
		"c.yaml:10: environments.staging.actuators.route_writes.argv[2]: \"--to={{.Mode}}\"",
		"{{.Env}} {{.Target}}",
		"c.yaml:13: signals.write_error_rate.query: is not valid PromQL",
		"c.yaml:15: incidents.spike.signal: signal \"nope\" is not defined",
		"incidents.spike.runbook: \"I9\" is not a runbook incident criterion",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

func TestBadDurationAndUnknownFieldNameTheLine(t *testing.T) {
	for name, src := range map[string]string{
		"duration": "refresh: 5\n" + minimal,
		"unknown":  "refrsh: 1s\n" + minimal,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(src), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:1") {
				t.Fatalf("want an error at c.yaml:1, got %v", err)
			}
			if name == "duration" && !strings.Contains(err.Error(), `try "5m"`) {
				t.Errorf("duration error gives no fix: %v", err)
			}
		})
	}
}

func TestUnsetEnvironmentVariableIsAnError(t *testing.T) {
	src := strings.Replace(minimal, `"http://127.0.0.1:9090"`, `"${PROM_URL}"`, 1)
	_, err := Parse("c.yaml", []byte(src), noEnv)
	if err == nil || !strings.Contains(err.Error(), "environment variable PROM_URL is not set") {
		t.Fatalf("want unset variable error, got %v", err)
	}
	cfg, err := Parse("c.yaml", []byte(src), func(k string) (string, bool) {
		return "http://prom.example:9090", k == "PROM_URL"
	})
	if err != nil || cfg.Environments["staging"].Prometheus.URL != "http://prom.example:9090" {
		t.Fatalf("expansion failed: %v", err)
	}
}

func TestRenderRefusesUnknownTemplateFields(t *testing.T) {
	if _, err := RenderAll([]string{"x", "{{.Nope}}"}, WriteModeValues{Mode: "rust_active"}); err == nil {
		t.Fatal("unknown template field rendered")
	}
	got, err := RenderAll([]string{"MODE={{.Mode}}", "{{.Freeze}}"}, struct {
		Mode   string
		Freeze bool
	}{"shadow_only", false})
	if err != nil || got[0] != "MODE=shadow_only" || got[1] != "false" {
		t.Fatalf("render = %v, %v", got, err)
	}
	if err := (WriteModeValues{Mode: "rust_active; rm -rf /"}).Check(); err == nil {
		t.Fatal("a write mode outside the enum passed Check")
	}
	if err := (CohortValues{Percent: 101}).Check(); err == nil {
		t.Fatal("cohort 101 passed Check")
	}
}

func TestEveryDecodeProblemIsReportedAtOnce(t *testing.T) {
	src := `refrsh: 1s
stale_after: 5
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    cohorts: [5, "many"]
signals:
  write_error_rate:
    for: 5
    unkown_field:
      nested: 1
`
	_, err := Parse("c.yaml", []byte(src), noEnv)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"c.yaml:1:", "c.yaml:2:", "c.yaml:8:", "c.yaml:11:", "c.yaml:12:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks a problem at %s:\n%s", want, msg)
		}
	}
	if len(verr.Problems) != 5 {
		t.Errorf("%d problems, want 5:\n%s", len(verr.Problems), msg)
	}
}

// A key where a value stands is reported at the key's line, not at the
// line before it (where the parser's token is); a missing colon at its own.
func TestYAMLSyntaxErrorsNameTheLineToFix(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		want string
	}{
		"key under a value": {"stale_after: 90s\nenvironments: x\n  staging: 1\n", "c.yaml:3: mapping value is not allowed"},
		"missing colon":     {"environments:\n  staging:\n    name staging\n    prometheus: {url: \"http://x\"}\n", "c.yaml:3: unexpected key name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.src), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}
