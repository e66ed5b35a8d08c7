package config

import (
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestExpandedValuesAreSecrets: whatever the file takes from the
// environment (a header's token, a key in a URL) is registered once, the
// longest first, and never the empty string.
func TestExpandedValuesAreSecrets(t *testing.T) {
	raw := strings.Replace(minimal, `prometheus: {url: "http://127.0.0.1:9090"}`,
		`prometheus: {url: "http://127.0.0.1:9090/?key=${KEY}${EMPTY}", headers: {Authorization: "Bearer ${TOKEN}", X-Again: "${TOKEN}"}}`, 1)
	cfg, err := Parse("c.yaml", []byte(raw), envOf(map[string]string{"TOKEN": "tok-abc-longer", "KEY": "key-123", "EMPTY": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tok-abc-longer", "key-123"}; !slices.Equal(cfg.Secrets, want) {
		t.Errorf("Secrets = %q, want %q", cfg.Secrets, want)
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
