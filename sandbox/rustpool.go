package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/openagents/cockpit/sandbox/rustsim"
)

// rustPool is one environment's Rust service as the platform runs it: one
// or more instances of the runtime, each with its own memory (runs and
// projector state, docs/runtime-facts.md §8), behind a load balancer. Without
// affinity the balancer spreads every request over the instances, as Cloud
// Run and a Kubernetes Service do, so a run written on one instance is
// 404 not_found on another. With affinity a run's later requests reach the
// instance that created it (session affinity); requests that name no run
// (health, a create, a random id) are still spread.
type rustPool struct {
	instances []*rustsim.Runtime
	affinity  bool

	mu    sync.Mutex
	owner map[string]int // run id → the instance that created it (affinity only)
	rng   *rand.Rand
}

// instanceStagger is how long before the world each extra instance was
// started: replicas come up one after another (a StatefulSet's ordered
// rollout, an autoscaler's scale-out), so their /healthz uptimes differ.
const instanceStagger = 23 * time.Second

// newRustPool starts n instances (at least one) with the same environment.
func newRustPool(n int, affinity bool, opts rustsim.Options) (*rustPool, error) {
	p := &rustPool{affinity: affinity, owner: map[string]int{}, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	now := time.Now()
	for i := range max(n, 1) {
		o := opts
		if n > 1 {
			o.Booted = now.Add(-time.Duration(n-1-i) * instanceStagger)
		}
		r, err := rustsim.New(o)
		if err != nil {
			return nil, err
		}
		p.instances = append(p.instances, r)
	}
	return p, nil
}

// Mode is the write mode every instance started with (they share one env).
func (p *rustPool) Mode() string { return p.instances[0].Mode() }

// Env is a copy of the instances' environment.
func (p *rustPool) Env() map[string]string { return p.instances[0].Env() }

// Restart deploys a new revision with env as a rolling update does: one
// instance at a time, each rollingStagger after the one before, so for a
// while old and new processes serve side by side, and afterwards their
// /healthz uptimes still tell them apart. Every run in memory is lost. An
// env the runtime refuses fails the rollout before any instance changes.
func (p *rustPool) Restart(ctx context.Context, env map[string]string) error {
	for i, r := range p.instances {
		if i > 0 {
			if err := sleepCtx(ctx, rollingStagger); err != nil {
				return fmt.Errorf("rollout interrupted after %d of %d instances: %w", i, len(p.instances), err)
			}
		}
		if err := r.Restart(env); err != nil {
			return err
		}
	}
	p.mu.Lock()
	clear(p.owner)
	p.mu.Unlock()
	return nil
}

// rollingStagger is how long a rolling update waits between instances: more
// than the cockpit's restart slack, as a pod's readiness takes.
const rollingStagger = 8 * time.Second

// SetFaults injects the same faults in every instance.
func (p *rustPool) SetFaults(f rustsim.Faults) {
	for _, r := range p.instances {
		r.SetFaults(f)
	}
}

// Handler is the load balancer in front of the instances.
func (p *rustPool) Handler() http.Handler {
	if len(p.instances) == 1 {
		return p.instances[0].Handler()
	}
	return http.HandlerFunc(p.serve)
}

func (p *rustPool) serve(w http.ResponseWriter, req *http.Request) {
	i := p.pick(req)
	if !p.affinity || req.Method != http.MethodPost || req.URL.Path != "/internal/v1/runs" {
		p.instances[i].Handler().ServeHTTP(w, req)
		return
	}
	// A create: the balancer learns which instance holds the new run.
	tee := &teeWriter{ResponseWriter: w}
	p.instances[i].Handler().ServeHTTP(tee, req)
	var created struct {
		Run struct {
			ID string `json:"id"`
		} `json:"run"`
	}
	if tee.status == http.StatusCreated && json.Unmarshal(tee.body.Bytes(), &created) == nil && created.Run.ID != "" {
		p.mu.Lock()
		p.owner[created.Run.ID] = i
		p.mu.Unlock()
	}
}

// pick chooses the instance for one request.
func (p *rustPool) pick(req *http.Request) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.affinity {
		if i, ok := p.owner[runOf(req)]; ok {
			return i
		}
	}
	return p.rng.IntN(len(p.instances))
}

// runPath finds the run id in a path that names one: the run, its events,
// receipt and replay, its projector checkpoint and run summary.
var runPath = regexp.MustCompile(`^/internal/v1/(?:runs|projectors/checkpoints|projectors/run-summary)/([^/]+)`)

// runTopic finds the run id in a drift lookup's topic.
var runTopic = regexp.MustCompile(`^run:(.+):events$`)

// runOf is the run a request is about, or "".
func runOf(req *http.Request) string {
	if m := runPath.FindStringSubmatch(req.URL.Path); m != nil {
		return m[1]
	}
	if m := runTopic.FindStringSubmatch(req.URL.Query().Get("topic")); m != nil {
		return m[1]
	}
	return ""
}

// teeWriter passes a response through and keeps its status and body.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (t *teeWriter) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

// redeploy deploys a new revision of one runtime with the same variables,
// as the repo's deploy script does: every Rust run in memory is lost.
func (e *env) redeploy(ctx context.Context, runtime string) error {
	switch runtime {
	case "rust":
		return e.control(ctx, "redeploy rust", func() error { return e.deployRust(ctx, e.rust.Env()) })
	case "legacy":
		return e.control(ctx, "redeploy legacy", func() error { return e.deployLegacy(e.legacy.Env()) })
	}
	return fmt.Errorf("unknown runtime %q (rust or legacy)", runtime)
}

// deployRust starts a new Rust revision with env; a refused env leaves the
// old one serving.
func (e *env) deployRust(ctx context.Context, env map[string]string) error {
	if err := e.rust.Restart(ctx, env); err != nil {
		return fmt.Errorf("new revision failed to start, the old one keeps serving: %w", err)
	}
	e.newRevision(serviceRust)
	return nil
}

// deployLegacy starts a new legacy revision with env.
func (e *env) deployLegacy(env map[string]string) error {
	if err := e.legacy.Restart(env); err != nil {
		return err
	}
	e.newRevision(serviceLegacy)
	return nil
}
