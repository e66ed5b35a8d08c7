package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/openagents/cockpit/legacyauth"
)

// traffic is a control plane writing through whichever runtime is the
// write target: runs with events that finish as succeeded, failed or
// cancelled on Rust, worker registrations on legacy, and some reads. Every
// write goes through the runtime-writes service: the platform counts it
// there under the revision of the runtime that answered, with its status.
// Reads go to the runtimes' own services.
type traffic struct {
	env    *env
	every  time.Duration
	secret []byte
	client *http.Client
	rng    *rand.Rand
	open   []openRun
	seq    int
}

type openRun struct {
	id    string
	steps int
}

func newTraffic(e *env, perSecond float64, secret []byte) *traffic {
	return &traffic{env: e, every: time.Duration(float64(time.Second) / perSecond), secret: secret,
		client: &http.Client{Timeout: 2 * time.Second}, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func (t *traffic) run(ctx context.Context) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t.seq++
		if t.rng.IntN(100) < t.env.rustShare() {
			t.rustWrite(ctx)
		} else {
			t.legacyWrite(ctx)
		}
		if t.seq%4 == 0 {
			t.read(ctx)
		}
	}
}

// rustWrite advances the run state machine by one write.
func (t *traffic) rustWrite(ctx context.Context) {
	if len(t.open) < 5 {
		var created struct {
			Run struct {
				ID string `json:"id"`
			} `json:"run"`
		}
		body := map[string]any{"worker_id": "control-plane", "metadata": map[string]any{"source": "rehearsal-traffic"}}
		if status := t.write(ctx, writesRevisionRust, t.env.rustURL+"/internal/v1/runs", body, nil, &created); status == http.StatusCreated {
			t.open = append(t.open, openRun{id: created.Run.ID})
		}
		return
	}
	i := t.rng.IntN(len(t.open))
	r := &t.open[i]
	event := map[string]any{"event_type": "run.step", "payload": map[string]any{"step": r.steps + 1},
		"idempotency_key": fmt.Sprintf("traffic-%s-%d", r.id, r.steps+1)}
	finished := r.steps >= 3
	if finished {
		status := []string{"succeeded", "succeeded", "succeeded", "succeeded", "failed", "cancelled"}[t.rng.IntN(6)]
		event = map[string]any{"event_type": "run.finished", "payload": map[string]any{"status": status}}
	}
	status := t.write(ctx, writesRevisionRust, t.env.rustURL+"/internal/v1/runs/"+r.id+"/events", event, nil, nil)
	switch {
	case status == http.StatusNotFound || (finished && status == http.StatusOK) || status == http.StatusBadRequest:
		// Finished, or lost in a restart (runs live in memory only): forget it.
		t.open = append(t.open[:i], t.open[i+1:]...)
	case status == http.StatusOK:
		r.steps++
	}
}

// legacyWrite registers a worker on legacy, signed like the control plane.
func (t *traffic) legacyWrite(ctx context.Context) {
	body := map[string]any{"worker_id": fmt.Sprintf("traffic-%d", t.seq), "metadata": map[string]any{"source": "rehearsal-traffic"}}
	t.write(ctx, writesRevisionLegacy, t.env.legacyURL+"/internal/v1/codex/workers", body, t.sign(), nil)
}

// write POSTs one write through runtime-writes' revision of the runtime at
// url and returns its status (0 on a transport error, which no revision
// answered and the platform does not count).
func (t *traffic) write(ctx context.Context, revision, url string, body any, h http.Header, out any) int {
	status := t.call(ctx, http.MethodPost, url, body, h, out)
	if status != 0 {
		t.env.platform.Count(serviceWrites, revision, status)
	}
	return status
}

func (t *traffic) read(ctx context.Context) {
	if len(t.open) > 0 {
		t.call(ctx, http.MethodGet, t.env.rustURL+"/internal/v1/runs/"+t.open[0].id, nil, nil, nil)
	}
	t.call(ctx, http.MethodGet, t.env.legacyURL+"/internal/v1/health", nil, t.sign(), nil)
}

func (t *traffic) sign() http.Header {
	sig, err := legacyauth.Sign(t.secret, legacyauth.NewClaims(time.Now(), time.Minute))
	if err != nil {
		return nil
	}
	return http.Header{legacyauth.Header: []string{sig}}
}

// call makes one request and returns its status (0 on a transport error).
func (t *traffic) call(ctx context.Context, method, url string, body any, h http.Header, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		_ = json.NewDecoder(resp.Body).Decode(out)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode
}
