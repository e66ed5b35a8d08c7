// Package rustsim simulates the Rust runtime (axum) of the cutover: the
// same endpoints, status codes and bodies as the real one (see
// docs/runtime-facts.md §1), so an operator rehearses against what
// production will answer. Runs live in memory and die with a (simulated)
// restart; projector state survives it, as the projection-state file does.
package rustsim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The write modes of RUNTIME_AUTHORITY_WRITE_MODE.
const (
	ModeRustActive = "rust_active"
	ModeShadowOnly = "shadow_only"
	ModeReadOnly   = "read_only"
)

// Options configure a simulated runtime.
type Options struct {
	Env    map[string]string // the process environment
	Now    func() time.Time  // clock; time.Now when nil
	Faults *Faults           // initial faults; none when nil
	// Version is the runtime's source state: VersionS (the default) or
	// VersionLatest. It decides the replay's line tags and /healthz's fields.
	Version string
	// Booted is when the first process started, for a runtime that stands
	// for one already up before the simulation began (a replica started
	// earlier in a rollout); zero is now. A restart always starts now.
	Booted time.Time
}

// The runtime versions the simulation can be (docs/runtime-facts.md §8).
const (
	// VersionS is the runtime at e5c63cf1 (≡ 71334249), beside legacy:
	// replay lines tagged "type":"RuntimeEvent", /healthz with fanout_driver.
	VersionS = "s"
	// VersionLatest is the newest Rust runtime (b118d632): replay lines
	// tagged "event":"RuntimeEvent" with the time in "t", /healthz with
	// db_configured instead of fanout_driver.
	VersionLatest = "latest"
)

// CheckVersion refuses a version the simulation does not have.
func CheckVersion(v string) error {
	switch v {
	case "", VersionS, VersionLatest:
		return nil
	}
	return fmt.Errorf("unknown rust runtime version %q (want %s or %s)", v, VersionS, VersionLatest)
}

// Faults are what an instructor injects. The zero value is a healthy runtime.
type Faults struct {
	// WriteErrorRatio is the fraction (0..1) of otherwise-successful writes
	// that answer 500 internal without writing anything.
	WriteErrorRatio float64
	// NotReady makes /readyz answer 503 not_ready.
	NotReady bool
	// Drift records a sequence-gap drift report for every run event projected.
	Drift bool
	// CheckpointRegression makes the projector checkpoint move backwards.
	CheckpointRegression bool
}

// Runtime is one simulated runtime service. It is safe for concurrent use.
type Runtime struct {
	now     func() time.Time
	handler http.Handler
	latest  bool // VersionLatest

	mu     sync.Mutex
	proc   *process
	proj   *projection
	faults Faults
	rng    *rand.Rand
}

// process is what a restart throws away: the env it was started with and
// everything held only in memory.
type process struct {
	env       map[string]string
	mode      string
	service   string
	buildSHA  string
	startedAt time.Time
	runs      map[string]*runRecord
	workers   map[string]*worker
	fanout    *fanout
}

// New starts a runtime. Like the real binary it refuses to start with an
// unknown RUNTIME_AUTHORITY_WRITE_MODE.
func New(opts Options) (*Runtime, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if err := CheckVersion(opts.Version); err != nil {
		return nil, err
	}
	r := &Runtime{now: now, proj: newProjection(), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		latest: opts.Version == VersionLatest}
	if opts.Faults != nil {
		r.faults = *opts.Faults
	}
	proc, err := r.boot(opts.Env)
	if err != nil {
		return nil, err
	}
	if !opts.Booted.IsZero() {
		proc.startedAt = opts.Booted
	}
	r.proc = proc
	r.handler = r.routes()
	return r, nil
}

func (r *Runtime) boot(env map[string]string) (*process, error) {
	mode, err := parseMode(env)
	if err != nil {
		return nil, fmt.Errorf("runtime refuses to start: %w", err)
	}
	return &process{
		env:       maps.Clone(env),
		mode:      mode,
		service:   envOr(env, "RUNTIME_SERVICE_NAME", "runtime"),
		buildSHA:  envOr(env, "RUNTIME_BUILD_SHA", "dev"),
		startedAt: r.now(),
		runs:      map[string]*runRecord{},
		workers:   map[string]*worker{},
		fanout:    newFanout(),
	}, nil
}

// parseMode reads the write mode the way the runtime's config does.
func parseMode(env map[string]string) (string, error) {
	raw, ok := env["RUNTIME_AUTHORITY_WRITE_MODE"]
	if !ok {
		return ModeRustActive, nil
	}
	switch m := strings.ToLower(strings.TrimSpace(raw)); m {
	case ModeRustActive, ModeShadowOnly, ModeReadOnly:
		return m, nil
	}
	return "", fmt.Errorf("invalid RUNTIME_AUTHORITY_WRITE_MODE %q (expected rust_active, shadow_only or read_only)", raw)
}

func envOr(env map[string]string, key, def string) string {
	if v := strings.TrimSpace(env[key]); v != "" {
		return v
	}
	return def
}

// Restart simulates deploying a new revision with env. An invalid env
// fails the rollout and the old process keeps serving unchanged. On
// success every run and worker is gone, uptime restarts and the mode is
// re-read; checkpoints, run summaries and drift reports survive.
func (r *Runtime) Restart(env map[string]string) error {
	proc, err := r.boot(env)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.proc = proc
	return nil
}

// Mode is the write mode the running process started with.
func (r *Runtime) Mode() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc.mode
}

// Env is a copy of the running process's environment.
func (r *Runtime) Env() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.proc.env)
}

// SetFaults replaces the injected faults.
func (r *Runtime) SetFaults(f Faults) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = f
}

// Handler serves the runtime's HTTP API (no /metrics: it exports none).
func (r *Runtime) Handler() http.Handler { return r.handler }

// writeFails rolls the injected write-error dice. Caller holds r.mu.
func (r *Runtime) writeFails() bool {
	return r.faults.WriteErrorRatio > 0 && r.rng.Float64() < r.faults.WriteErrorRatio
}
