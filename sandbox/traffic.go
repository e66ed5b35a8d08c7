package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/openagents/cockpit/legacyauth"
)

// traffic is a control plane writing for its users. Runs belong to users:
// a user's new run starts on the runtime of the user's cohort (routing),
// and every later append goes to the runtime that holds the run, so each
// run has one authority. Under a per-request split each request picks a
// runtime on its own instead, and an append that reaches the runtime
// without its run is refused there (404 not_found) and counted as
// misrouted. Every write goes through the runtime-writes service: the
// platform counts it there under the revision of the runtime that
// answered, with its status. Reads go to the runtimes' own services.
type traffic struct {
	env    *env
	every  time.Duration
	secret []byte
	client *http.Client
	rng    *rand.Rand
	open   []openRun
	seq    int
}

// openRun is a run the control plane is still writing to.
type openRun struct {
	id      string
	user    int
	home    string // the runtime that holds it: rust or legacy
	appends int
}

const (
	// trafficUsers is how many users the control plane writes for.
	trafficUsers = 10000
	// maxOpenRuns is how many runs are in flight at once.
	maxOpenRuns = 5
	// runAppends is how many appends follow a run's first write; the last
	// finishes it. Runs on either runtime are five writes long.
	runAppends = 4
)

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
		t.writeOnce(ctx)
		if t.seq%4 == 0 {
			t.read(ctx)
		}
	}
}

// writeOnce starts a run for a user, or appends to an open one: on the
// run's own runtime, or, under a per-request split, on whichever runtime
// this request drew.
func (t *traffic) writeOnce(ctx context.Context) {
	route := t.env.routing()
	if len(t.open) < maxOpenRuns {
		user := 1 + t.rng.IntN(trafficUsers)
		t.start(ctx, user, route.runtimeFor(user, t.rng))
		return
	}
	i := t.rng.IntN(len(t.open))
	r := t.open[i]
	target := r.home
	if route.perRequest {
		target = route.runtimeFor(r.user, t.rng)
	}
	status := t.appendTo(ctx, target, r)
	if status != 0 && target != r.home {
		t.env.countMisrouted()
	}
	switch {
	case status == 0:
		// No answer: the control plane tries the run again later.
	case status < 300 && r.appends+1 < runAppends:
		t.open[i].appends++
	default:
		// Finished, or refused (not found, frozen, failed): the control
		// plane gives the run up.
		t.open = append(t.open[:i], t.open[i+1:]...)
	}
}

// start creates a run on runtime: on Rust with POST /internal/v1/runs; on
// legacy the control plane records the run itself (the legacy router has
// no create route) and sends its first frame.
func (t *traffic) start(ctx context.Context, user int, runtime string) {
	if runtime == "legacy" {
		r := openRun{id: randomUUID(t.rng), user: user, home: "legacy"}
		t.env.legacy.CreateRun(r.id)
		if status := t.legacyFrame(ctx, r, "run.started"); status >= 200 && status < 300 {
			t.open = append(t.open, r)
		}
		return
	}
	var created struct {
		Run struct {
			ID string `json:"id"`
		} `json:"run"`
	}
	body := map[string]any{"worker_id": "control-plane", "metadata": map[string]any{"source": "rehearsal-traffic", "user_id": user}}
	if status := t.write(ctx, writesRevisionRust, t.env.rustURL+"/internal/v1/runs", body, nil, &created); status == http.StatusCreated {
		t.open = append(t.open, openRun{id: created.Run.ID, user: user, home: "rust"})
	}
}

// appendTo sends a run's next event to runtime, in that runtime's API: the
// last one finishes the run.
func (t *traffic) appendTo(ctx context.Context, runtime string, r openRun) int {
	finished := r.appends+1 >= runAppends
	if runtime == "legacy" {
		frame := "run.step"
		if finished {
			frame = "run.finished"
		}
		return t.legacyFrame(ctx, r, frame)
	}
	event := map[string]any{"event_type": "run.step", "payload": map[string]any{"step": r.appends + 1},
		"idempotency_key": fmt.Sprintf("traffic-%s-%d", r.id, r.appends+1)}
	if finished {
		status := []string{"succeeded", "succeeded", "succeeded", "succeeded", "failed", "cancelled"}[t.rng.IntN(6)]
		event = map[string]any{"event_type": "run.finished", "payload": map[string]any{"status": status}}
	}
	return t.write(ctx, writesRevisionRust, t.env.rustURL+"/internal/v1/runs/"+r.id+"/events", event, nil, nil)
}

// legacyFrame appends one frame to a run on legacy, signed like the
// control plane, for the run, its thread and its user.
func (t *traffic) legacyFrame(ctx context.Context, r openRun, frame string) int {
	thread := fmt.Sprintf("thread-%d", r.user)
	uid := int64(r.user)
	body := map[string]any{"thread_id": thread, "frames": []map[string]any{{"seq": r.appends + 1, "type": frame}}}
	h := t.sign(func(c *legacyauth.Claims) { c.RunID, c.ThreadID, c.UserID = r.id, thread, &uid })
	h.Set("x-oa-user-id", fmt.Sprint(r.user))
	return t.write(ctx, writesRevisionLegacy, t.env.legacyURL+"/internal/v1/runs/"+r.id+"/frames", body, h, nil)
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
	if len(t.open) > 0 && t.open[0].home == "rust" {
		t.call(ctx, http.MethodGet, t.env.rustURL+"/internal/v1/runs/"+t.open[0].id, nil, nil, nil)
	}
	t.call(ctx, http.MethodGet, t.env.legacyURL+"/internal/v1/health", nil, t.sign(nil), nil)
}

// sign is the legacy signature header over fresh claims, bound by bind
// (when set) to what the request names.
func (t *traffic) sign(bind func(*legacyauth.Claims)) http.Header {
	c := legacyauth.NewClaims(time.Now(), time.Minute)
	if bind != nil {
		bind(&c)
	}
	sig, err := legacyauth.Sign(t.secret, c)
	if err != nil {
		return http.Header{}
	}
	return http.Header{legacyauth.Header: []string{sig}}
}

// randomUUID is a version 4 UUID: a run id the control plane gives a run
// it starts on legacy, in the form the Rust runtime parses too.
func randomUUID(rng *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], rng.Uint64())
	b[6] = 0x40 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
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
