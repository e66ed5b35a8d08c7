// Package legacysim simulates the legacy (Elixir/Phoenix) runtime of the
// cutover as docs/runtime-facts.md §2 describes it: Phoenix's pipeline order
// (body parser, router, accepts, internal HMAC auth, write freeze,
// controller), its error shapes, and a freeze variable read per request.
package legacysim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/legacyauth"
)

// Environment variables the legacy runtime reads.
const (
	EnvFreeze  = "LEGACY_RUNTIME_WRITE_FREEZE"
	EnvSecret  = "RUNTIME_SIGNATURE_SECRET"
	EnvMixEnv  = "MIX_ENV"
	EnvVersion = "RUNTIME_VERSION"
)

// DevSecret is the signature secret outside production when none is set.
const DevSecret = "dev-runtime-signature-secret"

// Options configure a simulated legacy runtime.
type Options struct {
	Env map[string]string // the process environment
	Now func() time.Time  // clock; time.Now when nil
}

// Faults are what an instructor injects. The zero value is a healthy runtime.
type Faults struct {
	// WriteErrorRatio is the fraction (0..1) of otherwise-accepted writes
	// that crash with Phoenix's 500 without writing.
	WriteErrorRatio float64
	// NotReady makes health answer 503 degraded.
	NotReady bool
	// IgnoreFreeze keeps reporting the freeze (Frozen, ctl state) while
	// writes still go through: the "legacy not frozen" scenario.
	IgnoreFreeze bool
}

// Runtime is one simulated legacy runtime node. It is safe for concurrent use.
type Runtime struct {
	now     func() time.Time
	metrics *metrics
	handler http.Handler

	mu       sync.Mutex
	env      map[string]string
	verifier *legacyauth.Verifier
	faults   Faults
	rng      *rand.Rand
	writes   map[string]int // accepted writes per route pattern
	runs     map[string]*runSnapshot
}

// New starts a node. Like the real one it refuses to boot in production
// (MIX_ENV=prod) without RUNTIME_SIGNATURE_SECRET.
func New(opts Options) (*Runtime, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	r := &Runtime{
		now:    now,
		rng:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		writes: map[string]int{},
		runs:   map[string]*runSnapshot{},
	}
	if err := r.boot(opts.Env); err != nil {
		return nil, err
	}
	r.metrics = newMetrics()
	r.handler = http.HandlerFunc(r.serve)
	return r, nil
}

func (r *Runtime) boot(env map[string]string) error {
	secret := strings.TrimSpace(env[EnvSecret])
	if secret == "" {
		if strings.TrimSpace(env[EnvMixEnv]) == "prod" {
			return fmt.Errorf("legacy runtime refuses to boot: %s is required in production", EnvSecret)
		}
		secret = DevSecret
	}
	v := legacyauth.NewVerifier([]byte(secret), r.now)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.env, r.verifier = maps.Clone(env), v
	if r.env == nil {
		r.env = map[string]string{}
	}
	return nil
}

// Restart simulates a new revision with env: the nonce cache (per node) is
// lost, data written before survives (it lives in the database). An env
// the runtime would refuse to boot with leaves the old node serving.
func (r *Runtime) Restart(env map[string]string) error { return r.boot(env) }

// SetEnv changes one variable of the running node. The freeze variable is
// read per request, so this takes effect on the next request.
func (r *Runtime) SetEnv(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.env[key] = value
}

// Env is a copy of the node's environment.
func (r *Runtime) Env() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.env)
}

// Frozen reports whether the node says its writes are frozen.
func (r *Runtime) Frozen() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frozenLocked()
}

func (r *Runtime) frozenLocked() bool {
	switch strings.ToLower(strings.TrimSpace(r.env[EnvFreeze])) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// SetFaults replaces the injected faults.
func (r *Runtime) SetFaults(f Faults) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = f
}

// Writes is how many mutations the node has accepted since it was created,
// so a test or the rehearsal world can prove a probe wrote nothing.
func (r *Runtime) Writes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.writes {
		n += c
	}
	return n
}

// CreateRun records a run as the control plane does when it starts one on
// the legacy runtime: a row in the database the runtime reads (the legacy
// router has no route that creates a run). Its frames and cancel are then
// accepted; a run never created here is 404 not_found.
func (r *Runtime) CreateRun(runID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs[runID] == nil {
		r.runs[runID] = &runSnapshot{RunID: runID, Status: "running"}
	}
}

// Handler serves the node's HTTP API and /metrics.
func (r *Runtime) Handler() http.Handler { return r.handler }
