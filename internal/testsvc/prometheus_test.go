package testsvc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPrometheusConfigGroupsTargetsByJobAndQuotes(t *testing.T) {
	got := prometheusConfig([]ScrapeTarget{
		{Job: "rust", HostPort: "127.0.0.1:1", Labels: map[string]string{"side": "rust", "a": `q"x`}},
		{Job: "legacy", HostPort: "127.0.0.1:2"},
		{Job: "rust", HostPort: "127.0.0.1:3"},
	}, 250*time.Millisecond)
	want := `global:
  scrape_interval: 250ms
  scrape_timeout: 250ms
  evaluation_interval: 250ms
scrape_configs:
  - job_name: "rust"
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:1"]
        labels:
          "a": "q\"x"
          "side": "rust"
      - targets: ["127.0.0.1:3"]
  - job_name: "legacy"
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:2"]
`
	if got != want {
		t.Errorf("config:\n%s\nwant:\n%s", got, want)
	}
}

// TestPrometheusScrapesTarget starts the real server and waits for it to
// report the target up with its static label: the helper's config, ports,
// readiness wait and cleanup all work.
func TestPrometheusScrapesTarget(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "# TYPE demo_gauge gauge\ndemo_gauge 7")
	}))
	t.Cleanup(target.Close)
	hostPort := strings.TrimPrefix(target.URL, "http://")

	base := Prometheus(t, []ScrapeTarget{{Job: "demo", HostPort: hostPort, Labels: map[string]string{"env": "test"}}}, 500*time.Millisecond)

	query := base + "/api/v1/query?query=" + url.QueryEscape(`demo_gauge{job="demo",env="test"}`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if v, ok := firstValue(t, query); ok {
			if v != "7" {
				t.Fatalf("demo_gauge = %s, want 7", v)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("prometheus never returned demo_gauge from the target")
}

func firstValue(t *testing.T, query string) (string, bool) {
	t.Helper()
	resp, err := http.Get(query)
	if err != nil {
		t.Fatalf("querying prometheus: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding prometheus answer: %v", err)
	}
	if len(body.Data.Result) == 0 {
		return "", false
	}
	v, _ := body.Data.Result[0].Value[1].(string)
	return v, true
}
