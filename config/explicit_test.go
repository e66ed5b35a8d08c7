package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAnExplicitZeroIsAZero(t *testing.T) {
	src := minimal + `    soak: 0s
    signals:
      projection_write_failure_ratio: {for: 0s}
signals:
  legacy_http_5xx_ratio: {for: 0s}
  rust_write_error_rate: {min_requests: 0}
  projection_write_failure_ratio: {for: null, title: "write failures"}
exactly_one_writer: {neither_for: 0s}
parity_policy: {block_on_critical: false}
`
	cfg, err := Parse("c.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	env := cfg.Environments["staging"]
	for where, signals := range map[string]map[string]*Signal{"global": cfg.Signals, "staging": env.Signals} {
		if got := signals["legacy_http_5xx_ratio"].For; got != 0 {
			t.Errorf("%s legacy_http_5xx_ratio for = %s, want the explicit 0s", where, got)
		}
		if got := signals["rust_write_error_rate"].MinRequests; got != 0 {
			t.Errorf("%s rust_write_error_rate min_requests = %v, want the explicit 0", where, got)
		}
		// Beside each explicit zero, what the file left out keeps its default.
		if got := signals["legacy_write_error_rate"].MinRequests; got != 20 {
			t.Errorf("%s legacy_write_error_rate min_requests = %v, want the default 20", where, got)
		}
	}
	// for: null is left out (the global keeps 10m); staging's own 0s wins there.
	if got := cfg.Signals["projection_write_failure_ratio"].For; got != Duration(10*time.Minute) {
		t.Errorf("global projection_write_failure_ratio for: null = %s, want the default 10m", got)
	}
	if got := env.Signals["projection_write_failure_ratio"]; got.For != 0 || got.Title != "write failures" {
		t.Errorf("staging projection_write_failure_ratio = for %s, title %q; want staging's 0s over the global title", got.For, got.Title)
	}
	if env.Soak != 0 {
		t.Errorf("soak = %s, want the explicit 0s", env.Soak)
	}
	if cfg.ExactlyOneWriter.NeitherFor != 0 {
		t.Errorf("neither_for = %s, want the explicit 0s", cfg.ExactlyOneWriter.NeitherFor)
	}
	if cfg.Parity.BlockOnCritical {
		t.Errorf("block_on_critical: false was read as true")
	}
}

func TestLeftOutFieldsKeepTheirDefaults(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal+"parity_policy: {max_warnings: 2}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	env := cfg.Environments["staging"]
	if env.Soak != Duration(10*time.Minute) || cfg.ExactlyOneWriter.NeitherFor != Duration(2*time.Minute) {
		t.Errorf("soak %s, neither_for %s: want the defaults 10m and 2m", env.Soak, cfg.ExactlyOneWriter.NeitherFor)
	}
	if got := env.Signals["legacy_http_5xx_ratio"].For; got != Duration(10*time.Minute) {
		t.Errorf("legacy_http_5xx_ratio for = %s, want the default 10m", got)
	}
	// Writing only max_warnings must not turn blocking on critical diffs off.
	if !cfg.Parity.BlockOnCritical || cfg.Parity.MaxWarnings != 2 {
		t.Errorf("parity_policy = %+v, want max_warnings 2 and block_on_critical still true", cfg.Parity)
	}
}

func TestAZeroThatMeansNothingIsRefusedNamingItsField(t *testing.T) {
	src := "refresh: 0s\n" + minimal + `    verify_timeout: 0s
signals:
  rust_write_share: {stale_after: "0ms"}
`
	_, err := Parse("c.yaml", []byte(src), noEnv)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	msg := verr.Error()
	for _, want := range []string{
		"c.yaml:1: refresh: 0 is not allowed here: leave refresh out for its default",
		"c.yaml:10: environments.staging.verify_timeout: 0 is not allowed here",
		"c.yaml:12: signals.rust_write_share.stale_after: 0 is not allowed here",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestAnExplicitZeroReachesThroughAnchorsAndMergeKeys(t *testing.T) {
	src := `environments:
  staging: &env
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    soak: 0s
    signals:
      legacy_http_5xx_ratio: {for: 0s}
  qa: *env
  dev:
    <<: *env
    verify_timeout: 3m
`
	cfg, err := Parse("c.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"staging", "qa", "dev"} {
		env := cfg.Environments[name]
		// qa is staging's very value when decoded: it must get its own.
		if env.Name != name {
			t.Errorf("environment %s is named %q (an alias sharing its anchor's value)", name, env.Name)
		}
		if env.Soak != 0 || env.Signals["legacy_http_5xx_ratio"].For != 0 {
			t.Errorf("%s: soak %s, legacy_http_5xx_ratio for %s; want the anchored explicit 0s", name, env.Soak, env.Signals["legacy_http_5xx_ratio"].For)
		}
	}
}
