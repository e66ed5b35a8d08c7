package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/openagents/cockpit/config"
)

func TestNewAPISendsBearerTokenFileAndHeaders(t *testing.T) {
	p := startProm(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	api, err := NewAPI(config.Prometheus{URL: p.url, BearerTokenFile: token, Headers: map[string]string{"X-Scope-OrgID": "staging"}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{})
	if smp := s.Tick(context.Background()).Samples["ratio"]; smp.Err != nil || smp.Value != 0.0031 {
		t.Fatalf("through the configured client: %+v", smp)
	}
	p.mu.Lock()
	last := p.headers[len(p.headers)-1]
	p.mu.Unlock()
	if got := last.Get("Authorization"); got != "Bearer s3cret-token" {
		t.Errorf("Authorization %q", got)
	}
	if got := last.Get("X-Scope-OrgID"); got != "staging" {
		t.Errorf("X-Scope-OrgID %q", got)
	}
}

func TestNewAPIRefusesConflictingAuth(t *testing.T) {
	_, err := NewAPI(config.Prometheus{URL: "http://127.0.0.1:9", BearerTokenFile: "/t",
		BasicAuth: &promconfig.BasicAuth{Username: "u", Password: "p"}})
	if err == nil || !strings.HasPrefix(err.Error(), "creating prometheus client: ") {
		t.Fatalf("bearer token and basic auth together: %v", err)
	}
	if _, err := NewAPI(config.Prometheus{}); err == nil {
		t.Fatal("no url accepted")
	}
}

func TestProxyErrorPageReachesTheSampleBounded(t *testing.T) {
	// A load balancer's HTML 502 in front of Prometheus: a fault Prometheus
	// itself never produces, so this one server is a fake.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>" + strings.Repeat("upstream connect error ", 50) + "</body></html>"))
	}))
	t.Cleanup(proxy.Close)
	api, err := NewAPI(config.Prometheus{URL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(api, map[string]*config.Signal{"ratio": signal("ratio", "up")}, SamplerOptions{QueryTimeout: time.Second})
	smp := s.Tick(context.Background()).Samples["ratio"]
	var qe *QueryError
	if !errors.As(smp.Err, &qe) || !strings.Contains(qe.Msg, "upstream connect error") || len(qe.Msg) > 300 {
		t.Fatalf("proxy error: %v (%d bytes), want the page's text, bounded", smp.Err, len(smp.Err.Error()))
	}
}
