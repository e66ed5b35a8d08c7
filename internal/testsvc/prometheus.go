// Package testsvc starts the real services the tests run against
// (PostgreSQL, the Prometheus server) and stops them when the test ends.
package testsvc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// prometheusReadyTimeout bounds start-up; Debian's server is ready in
	// well under a second on an idle machine, but CI machines are not idle.
	prometheusReadyTimeout = 30 * time.Second
	// prometheusStopTimeout is how long SIGTERM gets before SIGKILL.
	prometheusStopTimeout = 10 * time.Second
	installHint           = "install prometheus (apt-get install -y prometheus)"
)

// ScrapeTarget is one endpoint the real Prometheus scrapes at /metrics.
type ScrapeTarget struct {
	Job      string
	HostPort string
	Labels   map[string]string
}

// Prometheus starts Debian's prometheus binary on a free loopback port,
// scraping the targets every interval (scrape_timeout = interval), with its
// TSDB in a temp dir, waits until /-/ready answers 200, and stops it when
// the test ends. It returns the base URL, e.g. http://127.0.0.1:41234.
// Without the binary the test is skipped, except in CI, where a silent skip
// would hide the real-server tests.
func Prometheus(t testing.TB, scrape []ScrapeTarget, interval time.Duration) (url string) {
	t.Helper()
	return PrometheusWithRules(t, scrape, interval)
}

// PrometheusWithRules is Prometheus that also loads the rule files (paths),
// evaluated every interval, so a test reads their alerts from the server's
// own /api/v1/alerts.
func PrometheusWithRules(t testing.TB, scrape []ScrapeTarget, interval time.Duration, ruleFiles ...string) (url string) {
	t.Helper()
	bin := prometheusBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	text := prometheusConfig(scrape, interval)
	if len(ruleFiles) > 0 {
		text += "rule_files:\n"
		for _, f := range ruleFiles {
			text += "  - " + strconv.Quote(f) + "\n"
		}
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatalf("writing prometheus config: %v", err)
	}
	// The port is free when chosen but another process may take it before
	// prometheus binds it: one retry on a fresh port covers that race.
	var lastErr error
	for attempt := range 2 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
		srv, err := startPrometheus(bin, cfg, filepath.Join(dir, fmt.Sprintf("data%d", attempt)), addr)
		if err != nil {
			t.Fatalf("starting prometheus: %v", err)
		}
		base := "http://" + addr
		if err := srv.waitReady(base); err != nil {
			lastErr = fmt.Errorf("%w\nprometheus output:\n%s", err, srv.output())
			srv.stop()
			if srv.addrInUse() {
				continue
			}
			break
		}
		t.Cleanup(func() {
			if err := srv.stop(); err != nil {
				t.Errorf("stopping prometheus: %v\n%s", err, srv.output())
			}
		})
		return base
	}
	t.Fatalf("prometheus did not become ready: %v", lastErr)
	return ""
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func prometheusBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("prometheus binary not found; in CI the real-Prometheus tests must run: " + installHint)
	}
	t.Skip(installHint)
	return ""
}

// prometheusConfig renders prometheus.yml: one scrape job per distinct
// Job, one static_config per target so each keeps its own labels.
// Values are quoted with strconv.Quote, which YAML reads as JSON strings.
func prometheusConfig(scrape []ScrapeTarget, interval time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		durationYAML(interval), durationYAML(interval), durationYAML(interval))
	b.WriteString("scrape_configs:\n")
	byJob := map[string][]ScrapeTarget{}
	var jobs []string
	for _, s := range scrape {
		if _, ok := byJob[s.Job]; !ok {
			jobs = append(jobs, s.Job)
		}
		byJob[s.Job] = append(byJob[s.Job], s)
	}
	for _, job := range jobs {
		fmt.Fprintf(&b, "  - job_name: %s\n    metrics_path: /metrics\n    static_configs:\n", strconv.Quote(job))
		for _, s := range byJob[job] {
			fmt.Fprintf(&b, "      - targets: [%s]\n", strconv.Quote(s.HostPort))
			if len(s.Labels) > 0 {
				b.WriteString("        labels:\n")
				for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
					fmt.Fprintf(&b, "          %s: %s\n", strconv.Quote(k), strconv.Quote(s.Labels[k]))
				}
			}
		}
	}
	return b.String()
}

// durationYAML writes a duration in Prometheus's syntax (whole
// milliseconds; "1s", "250ms").
func durationYAML(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

// prometheusProcess is one running server and its combined output.
type prometheusProcess struct {
	cmd    *exec.Cmd
	out    *LockedBuffer
	exited chan struct{}
	err    error // valid once exited is closed
}

func startPrometheus(bin, cfg, dataDir, addr string) (*prometheusProcess, error) {
	out := &LockedBuffer{}
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+dataDir,
		"--web.listen-address="+addr,
		"--storage.tsdb.retention.time=1h",
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}
	p := &prometheusProcess{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or
// the start-up timeout passes.
func (p *prometheusProcess) waitReady(base string) error {
	ctx, cancel := context.WithTimeout(context.Background(), prometheusReadyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if err != nil {
			return fmt.Errorf("building readiness request: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("prometheus exited before ready: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("no 200 from %s/-/ready within %s", base, prometheusReadyTimeout)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, then SIGKILL if prometheus has not exited in time.
// An exit caused by our own signal is not an error.
func (p *prometheusProcess) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(prometheusStopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("prometheus ignored SIGTERM for %s and was killed", prometheusStopTimeout)
	}
}

func (p *prometheusProcess) output() string { return p.out.String() }

func (p *prometheusProcess) addrInUse() bool {
	return strings.Contains(p.output(), "address already in use")
}
