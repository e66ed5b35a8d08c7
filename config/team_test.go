package config

import (
	"strings"
	"testing"
)

const threeEnvironments = `environments:
  dev2: &env
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
  staging: *env
  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9091"}
    rust_runtime: {url: "http://127.0.0.1:4101"}
    legacy_runtime: {url: "http://127.0.0.1:4001"}
`

// Production names the environment it is promoted from; with one other
// environment that one is the default, with several the operator says.
func TestProductionRequiresOneNamedEnvironment(t *testing.T) {
	wantProblems(t, problems(t, threeEnvironments),
		"environments.production: 2 non-production environments (dev2, staging): say which one production is promoted from, e.g. requires: dev2")
	named := strings.Replace(threeEnvironments, "    production: true\n", "    production: true\n    requires: staging\n", 1)
	cfg, err := Parse("c.yaml", []byte(named), noEnv)
	if err != nil || cfg.Environments["production"].Requires != "staging" {
		t.Fatalf("requires: staging: %v", err)
	}
	for requires, want := range map[string]string{
		"qa":         `environments.production.requires: "qa" is not a configured non-production environment (have: dev2, staging)`,
		"production": `"production" is not a configured non-production environment`,
	} {
		src := strings.Replace(threeEnvironments, "    production: true\n", "    production: true\n    requires: "+requires+"\n", 1)
		wantProblems(t, problems(t, src), want)
	}
	onStaging := strings.Replace(named, "  staging: *env\n", "  staging:\n    <<: *env\n    requires: dev2\n", 1)
	wantProblems(t, problems(t, onStaging), "environments.staging.requires: only a production environment requires another")
	cfg, err = Parse("c.yaml", []byte(strings.Replace(threeEnvironments, "  staging: *env\n", "", 1)), noEnv)
	if err != nil || cfg.Environments["production"].Requires != "dev2" {
		t.Fatalf("the only non-production environment is not the default: %v", err)
	}
}

func TestTeamKeysMustParse(t *testing.T) {
	good := "ed25519:" + strings.Repeat("A", 43) + "="
	other := "ed25519:" + strings.Repeat("B", 43) + "="
	src := threeEnvironments + "team_keys:\n  alice: " + good + "\n  bob: nokey\n  carol: " + good + "\n  dave: " + other + "\n  ../x: " + other + "\n"
	src = strings.Replace(src, "    production: true\n", "    production: true\n    requires: staging\n", 1)
	msg := problems(t, src)
	wantProblems(t, msg, `team_keys: `, `bob: "nokey" is not a public key`, "carol: the same key as alice's", `operator "../x" cannot hold a key`)
	if strings.Contains(msg, "dave") {
		t.Errorf("a good key refused:\n%s", msg)
	}
}
