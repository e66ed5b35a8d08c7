package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/openagents/cockpit/legacyauth"
	"github.com/openagents/cockpit/sandbox"
)

// testRedeployDelay keeps controls quick while still exercising the delay.
const testRedeployDelay = 200 * time.Millisecond

// startWorld starts a world in the test's temp dir with quick controls and
// closes it when the test ends.
func startWorld(t *testing.T, opts sandbox.Options) *sandbox.World {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.RedeployDelay == 0 {
		opts.RedeployDelay = testRedeployDelay
	}
	w, err := sandbox.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("starting the world: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("closing the world: %v", err)
		}
	})
	return w
}

// response is one HTTP answer, body as text so failures show it.
type response struct {
	status int
	body   string
}

// call makes one request with a JSON body (nil: none) and extra headers.
func call(t *testing.T, method, url string, body any, h http.Header) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encoding request body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return response{resp.StatusCode, string(raw)}
}

// control calls the world's control API as `rehearse ctl` does.
func control(t *testing.T, w *sandbox.World, env, verb string, body any) response {
	t.Helper()
	return call(t, http.MethodPost, w.ControlURL()+"/env/"+env+"/"+verb, body, nil)
}

// mustControl runs a control that has to succeed.
func mustControl(t *testing.T, w *sandbox.World, env, verb string, body any) {
	t.Helper()
	if r := control(t, w, env, verb, body); r.status != http.StatusOK {
		t.Fatalf("control %s %s %v: %d %s", env, verb, body, r.status, r.body)
	}
}

// signedHeader signs claims with the world's legacy secret; edit adjusts
// the fresh claims (e.g. to bind a run_id) before signing.
func signedHeader(t *testing.T, w *sandbox.World, edit func(*legacyauth.Claims)) http.Header {
	t.Helper()
	c := legacyauth.NewClaims(time.Now(), time.Minute)
	if edit != nil {
		edit(&c)
	}
	sig, err := legacyauth.Sign(w.Secret(), c)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return http.Header{legacyauth.Header: []string{sig}}
}

// worldState reads `ctl state` through the control API.
func worldState(t *testing.T, w *sandbox.World) map[string]sandbox.EnvState {
	t.Helper()
	r := call(t, http.MethodGet, w.ControlURL()+"/state", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /state: %d %s", r.status, r.body)
	}
	var st map[string]sandbox.EnvState
	if err := json.Unmarshal([]byte(r.body), &st); err != nil {
		t.Fatalf("decoding /state: %v\n%s", err, r.body)
	}
	return st
}

// promAPI is a client_golang client for one Prometheus-compatible server.
func promAPI(t *testing.T, url string) promv1.API {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatalf("prometheus client for %s: %v", url, err)
	}
	return promv1.NewAPI(c)
}

// instant runs one instant query with a short timeout and returns its vector.
func instant(ctx context.Context, p promv1.API, query string, at time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, _, _, err := p.Query(ctx, query, at)
	if err != nil {
		return nil, err
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query answered a %s, not a vector", v.Type())
	}
	return vec, nil
}

// eventually polls cond every 200ms until it holds or the deadline passes;
// the last explanation cond gave is the failure message.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s; last seen: %s", what, within, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: test ended while waiting; last seen: %s", what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// scalarOf is the single value of a one-series vector; ok is false (and
// seen says why) on an error or any other number of series.
func scalarOf(ctx context.Context, p promv1.API, query string) (v float64, seen string, ok bool) {
	vec, err := instant(ctx, p, query, time.Now())
	if err != nil {
		return 0, "query error: " + err.Error(), false
	}
	if len(vec) != 1 {
		return 0, "want one series, got " + vec.String(), false
	}
	return float64(vec[0].Value), vec.String(), true
}
