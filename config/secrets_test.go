package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestExpandedValuesAreSecrets: whatever the file takes from the
// environment (a header's token, a key in a URL) is registered, the
// longest first, and never the empty string; a query value shorter than
// minSecretLen is registered with its name (key=key-123), not alone.
func TestExpandedValuesAreSecrets(t *testing.T) {
	raw := strings.Replace(minimal, `prometheus: {url: "http://127.0.0.1:9090"}`,
		`prometheus: {url: "http://127.0.0.1:9090/?key=${KEY}${EMPTY}", headers: {Authorization: "Bearer ${TOKEN}", X-Again: "${TOKEN}"}}`, 1)
	cfg, err := Parse("c.yaml", []byte(raw), envOf(map[string]string{"TOKEN": "tok-abc-longer", "KEY": "key-123", "EMPTY": ""}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tok-abc-longer", "key=key-123", "Bearer tok-abc-longer"} {
		if !slices.Contains(cfg.Secrets, want) {
			t.Errorf("Secrets = %q: %q missing", cfg.Secrets, want)
		}
	}
	if slices.Contains(cfg.Secrets, "") || !slices.IsSortedFunc(cfg.Secrets, func(a, b string) int { return len(b) - len(a) }) {
		t.Errorf("Secrets = %q: want no empty string, the longest first", cfg.Secrets)
	}
	if got := cfg.Environments["staging"].Prometheus.Headers["Authorization"]; got != "Bearer tok-abc-longer" {
		t.Errorf("header = %q: the value must still be used", got)
	}
	plain, err := Parse("c.yaml", []byte(minimal), noEnv)
	if err != nil || len(plain.Secrets) != 0 {
		t.Errorf("a file without ${…}: secrets %q, %v", plain.Secrets, err)
	}
}

// TestLoadErrorsDoNotQuoteExpandedValues: a value that makes the file
// invalid is named by its line, never printed.
func TestLoadErrorsDoNotQuoteExpandedValues(t *testing.T) {
	const secret = "s3cr3t-tok"
	for name, raw := range map[string]string{
		"validation": strings.Replace(minimal, `url: "http://127.0.0.1:9090"`, `url: "${TOKEN}"`, 1),
		"decode":     strings.Replace(minimal, `prometheus: {url: "http://127.0.0.1:9090"}`, `prometheus: {url: "http://x", ${TOKEN}: 1}`, 1),
		"duration":   "refresh: \"${TOKEN}\"\n" + minimal,
	} {
		_, err := Parse("c.yaml", []byte(raw), envOf(map[string]string{"TOKEN": secret}))
		if err == nil {
			t.Errorf("%s: a broken file parsed", name)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error quotes the expanded value: %v", name, err)
		}
	}
}

// A commented-out ${VAR} (the example's notify block) needs no variable.
func TestACommentedOutReferenceNeedsNoVariable(t *testing.T) {
	src := "# url: ${COCKPIT_TEST_SURELY_UNSET}\n  # also ${COCKPIT_TEST_SURELY_UNSET}\n" + minimal
	if _, err := Parse("c.yaml", []byte(src), noEnv); err != nil {
		t.Fatalf("a commented-out reference: %v", err)
	}
	if _, err := Parse("c.yaml", []byte("operator: ${COCKPIT_TEST_SURELY_UNSET}\n"+minimal), noEnv); err == nil {
		t.Fatal("an unset variable outside a comment is not an error")
	}
}

// TestURLAndFileSecretsAreSecrets: what authenticates in a URL the config
// names (a password, a query token, a webhook's path), header values, a
// database URL from its variable and what a secret file holds are secrets
// without any ${VAR}; what only says where (host, user, path) is not.
func TestURLAndFileSecretsAreSecrets(t *testing.T) {
	dir := t.TempDir()
	sigFile := filepath.Join(dir, "sig")
	if err := os.WriteFile(sigFile, []byte("sig-secret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := strings.NewReplacer(
		`prometheus: {url: "http://127.0.0.1:9090"}`, `prometheus: {url: "http://127.0.0.1:9090/?token=prom%2Ftoken-123&x=1"}`,
		`rust_runtime: {url: "http://127.0.0.1:4100"}`, `rust_runtime: {url: "http://ops:p%40ss-word@127.0.0.1:4100", headers: {X-Api-Key: api-key-value}}`,
		`legacy_runtime: {url: "http://127.0.0.1:4000"}`, `legacy_runtime: {url: "http://127.0.0.1:4000", signature_secret_file: "`+sigFile+`"}`+
			"\n    database: {url_env: DB_URL}",
	).Replace(minimal) + "notify:\n  targets:\n    - {name: team, url: \"https://hooks.example.com/services/T0/B0/webhookpath\", format: json, events: [action.done]}\n"
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DB_URL", "postgres://cockpit:db-password@127.0.0.1/x?sslmode=disable")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"prom/token-123", "prom%2Ftoken-123", "x=1", "p@ss-word", "p%40ss-word", "api-key-value",
		"sig-secret-from-file", "db-password", "postgres://cockpit:db-password@127.0.0.1/x?sslmode=disable",
		"/services/T0/B0/webhookpath"} {
		if !slices.Contains(cfg.Secrets, want) {
			t.Errorf("%q is not a secret; secrets: %q", want, cfg.Secrets)
		}
	}
	for _, notSecret := range []string{"127.0.0.1", "ops", "cockpit", "disable", "1", "http://127.0.0.1:4100"} {
		if slices.Contains(cfg.Secrets, notSecret) {
			t.Errorf("%q is registered as a secret: it would hide what the operator needs to read", notSecret)
		}
	}
}

// TestArgvRefusesASecret: any ${VAR} in an argv (an actuator's, the
// parity harness's) is refused at its own element and line, naming the
// env entry that replaces it; the same ${VAR} in env is accepted and
// reaches the action.
func TestArgvRefusesASecret(t *testing.T) {
	env := envOf(map[string]string{"GCLOUD_TOKEN": "tok-0123456789"})
	bad := minimal + "      set_cohort:\n        argv: [deploy, --to, \"{{.Percent}}\", --token, \"--auth=${GCLOUD_TOKEN}\"]\n"
	_, err := Parse("c.yaml", []byte(bad), env)
	want := "c.yaml:10: environments.staging.actuators.set_cohort.argv[4]: holds ${GCLOUD_TOKEN}, a secret: " +
		"pass it in environments.staging.actuators.set_cohort.env instead"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a ${VAR} in argv: got %v, want %q", err, want)
	}
	if strings.Contains(err.Error(), "tok-0123456789") {
		t.Errorf("the refusal quotes the secret: %v", err)
	}
	flow := strings.Replace(minimal, `"RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}"]`, `"RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}", ${GCLOUD_TOKEN}]`, 1)
	if _, err := Parse("c.yaml", []byte(flow), env); err == nil || !strings.Contains(err.Error(), "set_rust_write_mode.argv[9]: holds ${GCLOUD_TOKEN}") {
		t.Errorf("a ${VAR} in a flow-style argv: got %v", err)
	}
	good := minimal + "      set_cohort:\n        argv: [deploy, --to, \"{{.Percent}}\"]\n        env: {CLOUDSDK_AUTH_ACCESS_TOKEN: \"${GCLOUD_TOKEN}\"}\n"
	cfg, err := Parse("c.yaml", []byte(good), env)
	if err != nil {
		t.Fatalf("a ${VAR} in env: %v", err)
	}
	if got := cfg.Environments["staging"].Actuators.SetCohort.Env["CLOUDSDK_AUTH_ACCESS_TOKEN"]; got != "tok-0123456789" {
		t.Errorf("env value = %q, want the expanded token", got)
	}
}

// TestActionEnvIsValidated: env is for commands, with names a shell can
// read.
func TestActionEnvIsValidated(t *testing.T) {
	for name, c := range map[string]struct{ action, want string }{
		"http":     {`{http: {url: "http://127.0.0.1:1/x"}, env: {A: b}}`, "set_cohort.env: env is given to a command"},
		"bad name": {`{argv: [x], env: {"1A": b}}`, `set_cohort.env: "1A" is not an environment variable name`},
	} {
		_, err := Parse("c.yaml", []byte(minimal+"      set_cohort: "+c.action+"\n"), noEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}
