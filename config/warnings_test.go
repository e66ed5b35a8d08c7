package config

import (
	"strings"
	"testing"
)

const productionOnly = `environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    parity: {reports: /r/staging/*.json, harness: {argv: [harness, --output, "{{.Report}}"]}}
  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9091"}
    rust_runtime: {url: "http://127.0.0.1:4101"}
    legacy_runtime: {url: "http://127.0.0.1:4001"}
`

func TestProductionWithoutAParitySourceIsWarnedAtItsLine(t *testing.T) {
	for _, tc := range []struct {
		name, parity, want string
	}{
		{"none", "", "c.yaml:7: environments.production.parity: warning: production has no parity source"},
		{"reports only", "    parity: {reports: /r/production/*.json}\n",
			"c.yaml:12: environments.production.parity: warning: production has parity.reports but no parity.harness"},
		{"reports and harness", "    parity: {reports: /r/production/*.json, harness: {argv: [harness, --output, \"{{.Report}}\"]}}\n", ""},
	} {
		cfg, err := Parse("c.yaml", []byte(productionOnly+tc.parity), noEnv)
		if err != nil {
			t.Fatalf("%s: a warning must not make the config invalid: %v", tc.name, err)
		}
		got := cfg.WarningText()
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: warnings = %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" && !strings.Contains(got, "P1, P2, V3") {
			t.Errorf("%s: the warning does not say which gates it costs: %q", tc.name, got)
		}
	}
}
