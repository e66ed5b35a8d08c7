package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
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
	path := withPrometheus(t, healthy().configFile(t), srv.URL)
	start := time.Now()
	out, _, code := runCLI(t, false, "preflight", "--config", path)
	took := time.Since(start)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "Prometheus at "+srv.URL+" did not answer 12 of 12 queries within") {
		t.Errorf("want one line naming Prometheus and the deadline, then the summary:\n%s", out)
	}
	// 12 queries, 4 at a time, 3 questions each, 1 s apiece (query_timeout 1s).
	if took > time.Minute {
		t.Errorf("preflight took %s", took)
	}
	t.Logf("gave up after %s:\n%s", took.Round(time.Millisecond), out)
}

// A Prometheus (or a proxy) answering 100 MB: every query is an error that
// says so, quickly, and check incidents still ends with its verdicts.
func TestCheckIncidentsAgainstAHundredMegabyteAnswer(t *testing.T) {
	t.Parallel()
	chunk := []byte(strings.Repeat(" ", 64<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
		for range (100 << 20) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	path := withPrometheus(t, healthy().configFile(t), srv.URL)
	start := time.Now()
	out, _, code := runCLI(t, false, "check", "incidents", "--config", path)
	took := time.Since(start)
	if code != exitUnknown {
		t.Errorf("exit %d, want 2 (hold: the data cannot be read)", code)
	}
	if !strings.Contains(out, "response over 4 MiB from "+srv.URL) {
		t.Errorf("no line names the cap:\n%s", out)
	}
	t.Logf("check incidents against 100 MB answers: %s", took.Round(time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("took %s", took)
	}
}
