package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// withPrometheus rewrites a read world's config to ask prometheus at url.
func withPrometheus(t *testing.T, path, url string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := regexp.MustCompile(`prometheus: \{url: "[^"]*"\}`).ReplaceAllString(string(raw), `prometheus: {url: "`+url+`"}`)
	must(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// A Prometheus that accepts and never answers: preflight gives one clear
// line within its deadline, not a hang.
func TestPreflightAgainstAPrometheusThatNeverAnswers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	path := withQueryTimeout(t, withPrometheus(t, healthy().configFile(t), srv.URL), "1s")
	start := time.Now()
	out, _, code := runCLI(t, false, "preflight", "--config", path)
	took := time.Since(start)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Prometheus at "+srv.URL+" did not answer 13 of 13 queries within") {
		t.Errorf("want one line naming Prometheus and the deadline, then the summary:\n%s", out)
	}
	// 13 queries, 4 at a time, 3 questions each, 1 s apiece (query_timeout 1s).
	if took > time.Minute {
		t.Errorf("preflight took %s", took)
	}
	t.Logf("gave up after %s:\n%s", took.Round(time.Millisecond), out)
}

// A Prometheus (or a proxy) answering 100 MB: every query is an error that
// names the cap, the cockpit hangs up long before the answer's end, and
// check incidents still ends with its verdicts. The built binary reads
// (not this -race process, which takes seconds per 4 MiB) and each query
// gets 2 minutes, so a machine busy with two suites still meets the cap
// long before the deadline; how little was sent, not how fast, shows the
// answer was refused rather than read.
func TestCheckIncidentsAgainstAHundredMegabyteAnswer(t *testing.T) {
	t.Parallel()
	const answer = 100 << 20
	chunk := []byte(strings.Repeat(" ", 64<<10))
	var answers, mostSent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answers.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
		for sent := int64(0); sent < answer; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			storeMax(&mostSent, sent+int64(len(chunk)))
		}
	}))
	t.Cleanup(srv.Close)
	path := withQueryTimeout(t, withPrometheus(t, healthy().configFile(t), srv.URL), "2m")
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), cockpitBinary(t), "check", "incidents", "--config", path)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, out := exitCodeOf(t, cmd, cmd.Run()), stdout.String()
	if code != exitUnknown {
		t.Errorf("exit %d, want 2 (hold: the data cannot be read); stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(out, "response over 4 MiB from "+srv.URL) {
		t.Errorf("no line names the cap:\n%s", out)
	}
	// Write returns once the bytes are in the socket, before they are read:
	// an answer read to its end has all of it counted by now.
	if answers.Load() == 0 || mostSent.Load() >= answer {
		t.Errorf("%d answers, the longest %d of %d bytes sent: want every one cut short by the cap", answers.Load(), mostSent.Load(), answer)
	}
	t.Logf("check incidents against %d answers of 100 MB: %s, at most %d MiB sent of one",
		answers.Load(), time.Since(start).Round(time.Millisecond), mostSent.Load()>>20)
}

// storeMax raises m to v when v is larger.
func storeMax(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

// withQueryTimeout rewrites a read world's config to give each query d
// (refresh just above it, as validation wants): a test about what a
// query reads must not depend on how fast a loaded machine reads it.
func withQueryTimeout(t *testing.T, path, d string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	timeout, err := time.ParseDuration(d)
	if err != nil {
		t.Fatal(err)
	}
	cfg := regexp.MustCompile(`(?m)^refresh: .*\nquery_timeout: .*$`).ReplaceAllString(string(raw),
		"refresh: "+(timeout+time.Second).String()+"\nquery_timeout: "+d)
	if cfg == string(raw) {
		t.Fatalf("no refresh and query_timeout to rewrite in %s", path)
	}
	must(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}
