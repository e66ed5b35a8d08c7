package config

import "testing"

// TestDashboardIsAnHTTPURL: an environment's dashboard, linked from every
// exported alert, is an http(s) URL or nothing.
func TestDashboardIsAnHTTPURL(t *testing.T) {
	msg := problems(t, runtimes+`    dashboard: "grafana/d/cutover"
`)
	wantProblems(t, msg, `environments.staging.dashboard: "grafana/d/cutover" is not an http(s) URL`)
	if msg := problems(t, runtimes+`    dashboard: "https://grafana.example/d/cutover"
`); msg != "" {
		t.Errorf("a https dashboard is refused: %s", msg)
	}
}
