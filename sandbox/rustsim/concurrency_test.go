package rustsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentTrafficProbesAndRestarts is meant for -race: the rehearsal
// world drives writes, probes, faults and redeploys from different goroutines.
func TestConcurrentTrafficProbesAndRestarts(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				resp, err := http.Post(srv.URL+"/internal/v1/runs", "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 201 && resp.StatusCode != 503 {
					t.Errorf("create = %d", resp.StatusCode)
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			resp, err := http.Get(srv.URL + "/internal/v1/khala/fanout/metrics")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			r.SetFaults(Faults{CheckpointRegression: true})
			time.Sleep(time.Millisecond)
		}
	})
	wg.Go(func() {
		for _, mode := range []string{"shadow_only", "rust_active"} {
			if err := r.Restart(map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": mode}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}
