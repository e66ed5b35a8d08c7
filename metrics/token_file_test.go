package metrics

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/openagents/cockpit/config"
)

// A bearer token "file" that is a named pipe nothing writes (a plain read
// blocks forever): the query fails, naming the pipe, and no request is sent
// without its token.
func TestABearerTokenFileThatIsANamedPipeFailsTheQuery(t *testing.T) {
	p := startProm(t)
	fifo := filepath.Join(t.TempDir(), "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	before := len(p.headers) // the test server's own start-up requests
	p.mu.Unlock()
	api, err := NewAPI(config.Prometheus{URL: p.url, BearerTokenFile: fifo})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler(api, map[string]*config.Signal{"ratio": signal("ratio", "max(demo_error_ratio)")}, SamplerOptions{})
	smp := s.Tick(context.Background()).Samples["ratio"]
	if smp.Err == nil || !strings.Contains(smp.Err.Error(), fifo+" is a named pipe") {
		t.Fatalf("sample with a named-pipe token file: %+v, want an error naming the pipe", smp)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.headers) - before; n > 0 {
		t.Errorf("%d request(s) reached Prometheus without the token", n)
	}
}
