package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGuardDefaultsAdviseTwoMinutesEveryCriterion(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Environments["staging"].Guard
	if g.Mode != GuardAdvise || g.Countdown.D() != 2*time.Minute || g.Configured {
		t.Errorf("default guard = %s %s configured %v, want advise 2m, not configured", g.Mode, g.Countdown, g.Configured)
	}
	want := sortedKeys(DefaultIncidents())
	if !slices.Equal(g.Criteria, want) {
		t.Errorf("default criteria = %v, want every incident %v", g.Criteria, want)
	}
}

func TestGuardKeepsWhatTheFileSays(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal+`    guard: {mode: act, countdown: 0s, criteria: [I2, critical_drift]}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Environments["staging"].Guard
	if g.Mode != GuardAct || g.Countdown != 0 || !slices.Equal(g.Criteria, []string{"I2", "critical_drift"}) || !g.Configured {
		t.Errorf("guard = %+v, want act, 0s, [I2 critical_drift]", g)
	}
}

func TestGuardRefusesBadBlocksWithTheirLine(t *testing.T) {
	msg := problems(t, minimal+`    guard:
      mode: rollback
      criteria: [write_error_spike, I9, write_eror_spike]
  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    guard: {mode: countdown, countdown: 0s}
  canary:
    production: true
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    requires: staging
    guard: {mode: advise, confirm_env: production}
`)
	wantProblems(t, msg,
		`c.yaml:10: environments.staging.guard.mode: "rollback" is not a guard mode: use advise`,
		`c.yaml:11: environments.staging.guard.criteria[1]: "I9" is not a configured incident criterion: name one (checkpoint_regression,`,
		`or a runbook criterion (I1, I2, I3)`,
		`environments.staging.guard.criteria[2]: "write_eror_spike" is not a configured incident criterion`,
		`c.yaml:17: environments.production.guard.countdown: a countdown of 0 gives nobody time to cancel`,
		`c.yaml:17: environments.production.guard: production is production: a guard that rolls back must name it as a human types it (confirm_env: production)`,
		`environments.canary.guard.confirm_env: "production" is not this environment's name (canary)`,
	)
	if strings.Contains(msg, "criteria[0]") {
		t.Errorf("a configured criterion was refused:\n%s", msg)
	}
}

// TestConfigShowShowsTheGuard: config show prints the guard an
// environment runs with, defaults filled in, in YAML and JSON.
func TestConfigShowShowsTheGuard(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Show("staging", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "    guard:\n      mode: advise\n      countdown: 2m0s\n      criteria:\n      - checkpoint_regression\n") {
		t.Errorf("config show lacks the default guard:\n%s", out)
	}
	js, err := cfg.Show("staging", "json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"guard": {`) || !strings.Contains(string(js), `"mode": "advise"`) {
		t.Errorf("config show -o json lacks the guard:\n%s", js)
	}
}

func TestAProductionGuardThatActsIsConfirmedInTheConfig(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal+`  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    guard: {mode: act, confirm_env: production}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Environments["production"].Guard; g.ConfirmEnv != "production" || g.Mode != GuardAct {
		t.Errorf("production guard = %+v", g)
	}
}
