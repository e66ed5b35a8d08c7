package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
)

// countingProxy stands in front of the world's Prometheus and counts every
// request the screen sends it.
type countingProxy struct {
	url   string
	count atomic.Int64
	srv   *http.Server
}

func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-prometheus %q: want the world's Prometheus URL (rehearse --headless prints it)", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the counting proxy: %w", err)
	}
	p := &countingProxy{url: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count.Add(1)
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *countingProxy) close() { _ = p.srv.Close() }

// proxiedConfig writes a copy of the world's config beside it whose
// Prometheus URL is the proxy's, so nothing else of the world changes.
func proxiedConfig(path, prometheus, proxy string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the world's config: %w", err)
	}
	quoted := `"` + strings.TrimSuffix(prometheus, "/") + `"`
	if !strings.Contains(string(b), quoted) {
		return "", fmt.Errorf("%s does not name the Prometheus %s: pass the URL rehearse --headless printed for -env", path, prometheus)
	}
	out := strings.TrimSuffix(path, ".yaml") + ".bench.yaml"
	text := strings.ReplaceAll(string(b), quoted, `"`+proxy+`"`)
	if err := os.WriteFile(out, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("writing the proxied config: %w", err)
	}
	return out, nil
}
