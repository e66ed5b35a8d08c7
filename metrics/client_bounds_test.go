package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

// A Prometheus (or a proxy in front of it) that answers a query with 100 MB
// is a query error that names the cap, read with bounded memory.
func TestNewAPIRefusesAHundredMegabyteAnswer(t *testing.T) {
	chunk := []byte(`{"status":"success","data":{"resultType":"vector","result":[` + strings.Repeat(" ", 32<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for range (100 << 20) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	api, err := NewAPI(config.Prometheus{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, _, _, err = api.Query(context.Background(), "up", time.Time{})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a 100 MB answer was accepted")
	}
	qe := queryError("up", err)
	if !strings.Contains(qe.Error(), "response over 4 MiB from "+srv.URL+"/api/v1/query") {
		t.Errorf("error %q does not name the cap and the endpoint", qe)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused in %s, %.1f MB allocated in all", took.Round(time.Millisecond), float64(alloc)/(1<<20))
	if alloc > 40<<20 {
		t.Errorf("allocated %.1f MB refusing the answer", float64(alloc)/(1<<20))
	}
}

func TestNewAPITimesOutAServerThatNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	api, err := NewAPI(config.Prometheus{URL: srv.URL}, WithTimeout(300*time.Millisecond), WithMaxResponseBytes(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, _, err := api.Query(context.Background(), "up", time.Time{}); err == nil {
		t.Fatal("a server that never answers answered")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("gave up after %s, want about 300ms", took)
	}
}
