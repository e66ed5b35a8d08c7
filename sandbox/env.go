package sandbox

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/promstore"
	"github.com/openagents/cockpit/sandbox/rustsim"
	"github.com/openagents/cockpit/sandbox/simmetrics"
)

// env is one simulated environment: its runtimes, its Prometheus, its
// traffic and its routing.
type env struct {
	name       string
	production bool
	world      *World

	rust    *rustPool
	legacy  *legacysim.Runtime
	store   *promstore.Store
	traffic *traffic
	parity  *parityLoop
	// platform is Cloud Run's view of the environment's services; khala is
	// the projection telemetry, exported on the legacy target.
	platform *simmetrics.CloudRun
	khala    *simmetrics.Khala

	rustURL, legacyURL, promURL, platformURL string

	// deploy serialises controls, as a deploy pipeline does.
	deploy sync.Mutex

	mu sync.Mutex
	// route is where the control plane sends writes: 0% of users to rust
	// (legacy), 100% (rust), or a cohort in between.
	route routing
	// misrouted counts appends that reached the runtime that does not
	// hold their run (the world knows where each run lives).
	misrouted int
	faults    map[string]bool
	applied   []AppliedControl
	// revisions are the serving revision of each Cloud Run service, deploys
	// how many revisions it has had.
	revisions map[string]string
	deploys   map[string]int
}

// AppliedControl is one control as the world saw it, for `ctl state`.
type AppliedControl struct {
	Time    time.Time `json:"time"`
	Control string    `json:"control"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
}

// EnvState is one environment as `ctl state` reports it.
type EnvState struct {
	RustWriteMode     string           `json:"rust_write_mode"`
	LegacyWriteFreeze bool             `json:"legacy_write_freeze"`
	WriteTarget       string           `json:"write_target"`
	CohortPercent     int              `json:"cohort_percent"`
	Faults            []string         `json:"faults"`
	Controls          []AppliedControl `json:"controls"`

	// RustInstances, RustAffinity and RustVersion are the Rust service's
	// topology and version (rehearse --rust-instances, --rust-affinity,
	// --rust-version).
	RustInstances int    `json:"rust_instances"`
	RustAffinity  bool   `json:"rust_affinity"`
	RustVersion   string `json:"rust_version"`
	// CohortMode is how the cohort is drawn: CohortSticky or CohortPerRequest.
	CohortMode string `json:"cohort_mode"`
	// MisroutedWrites counts appends that reached the runtime that does
	// not hold their run (answered 404 not_found there).
	MisroutedWrites int `json:"misrouted_writes"`
}

func (e *env) state() EnvState {
	e.mu.Lock()
	defer e.mu.Unlock()
	faults := []string{}
	for f, on := range e.faults {
		if on {
			faults = append(faults, f)
		}
	}
	sort.Strings(faults)
	return EnvState{
		RustWriteMode:     e.rust.Mode(),
		LegacyWriteFreeze: e.legacy.Frozen(),
		WriteTarget:       targetOf(e.route.percent),
		CohortPercent:     e.route.percent,
		CohortMode:        e.route.mode(),
		MisroutedWrites:   e.misrouted,
		RustInstances:     len(e.rust.instances),
		RustAffinity:      e.rust.affinity,
		RustVersion:       e.world.opts.RustVersion,
		Faults:            faults,
		Controls:          append([]AppliedControl{}, e.applied...),
	}
}

func targetOf(cohort int) string {
	switch cohort {
	case 0:
		return "legacy"
	case 100:
		return "rust"
	default:
		return "split"
	}
}

func (e *env) routing() routing {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.route
}

// countMisrouted records appends that reached the runtime without their run.
func (e *env) countMisrouted() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.misrouted++
}

func (e *env) faultOn(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults[name]
}

// control runs one control the way a deploy does: serialised, after the
// redeploy delay, failing when the actuator-failure fault is on. The
// journal of applied controls records it either way.
func (e *env) control(ctx context.Context, desc string, apply func() error) error {
	e.deploy.Lock()
	defer e.deploy.Unlock()
	err := sleepCtx(ctx, e.world.opts.RedeployDelay)
	if err == nil && e.faultOn(FaultActuatorFailure) {
		err = fmt.Errorf("deployment failed: revision did not become ready (fault %s)", FaultActuatorFailure)
	}
	if err == nil {
		err = apply()
	}
	rec := AppliedControl{Time: time.Now().UTC(), Control: desc, OK: err == nil}
	if err != nil {
		rec.Error = err.Error()
	}
	e.mu.Lock()
	e.applied = append(e.applied, rec)
	e.mu.Unlock()
	return err
}

// setEnv redeploys one runtime with one variable changed (--update-env-vars).
func (e *env) setEnv(ctx context.Context, runtime, key, value string) error {
	desc := fmt.Sprintf("set-env %s %s=%s", runtime, key, value)
	switch runtime {
	case "rust":
		return e.control(ctx, desc, func() error {
			next := e.rust.Env()
			next[key] = value
			return e.deployRust(ctx, next)
		})
	case "legacy":
		return e.control(ctx, desc, func() error {
			next := e.legacy.Env()
			next[key] = value
			return e.deployLegacy(next)
		})
	}
	return fmt.Errorf("unknown runtime %q (rust or legacy)", runtime)
}

// routeWrites sends every user's new runs to one runtime: the control
// plane's cohort at 100% (rust) or 0% (legacy), as the example's
// route_writes sets it.
func (e *env) routeWrites(ctx context.Context, target string) error {
	percent := map[string]int{"rust": 100, "legacy": 0}
	p, ok := percent[target]
	if !ok {
		return fmt.Errorf("unknown write target %q (rust or legacy)", target)
	}
	return e.control(ctx, "route-writes "+target, func() error {
		e.setRouting(routing{percent: p, seed: CanarySeed})
		return nil
	})
}

// setCohort sends that percentage of users to rust, sticky per user (the
// control plane's OA_RUNTIME_CANARY_USER_PERCENT, production only), or,
// with perRequest, that percentage of requests: the hazard a traffic split
// between revisions makes, possible in any environment.
func (e *env) setCohort(ctx context.Context, percent int, perRequest bool) error {
	if !e.production && !perRequest {
		return fmt.Errorf("cohorts exist only in production (this is %s): use route-writes", e.name)
	}
	if percent < 0 || percent > 100 {
		return fmt.Errorf("cohort %d is outside 0–100", percent)
	}
	r := routing{percent: percent, perRequest: perRequest, seed: CanarySeed}
	desc := fmt.Sprintf("cohort %d", percent)
	if perRequest {
		desc += " --per-request"
	}
	return e.control(ctx, desc, func() error {
		e.setRouting(r)
		return nil
	})
}

func (e *env) setRouting(r routing) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.route = r
}

// setFault switches one fault and pushes it into the pieces it affects.
func (e *env) setFault(name string, on bool) error {
	if err := CheckFault(name); err != nil {
		return err
	}
	e.mu.Lock()
	e.faults[name] = on
	f := maps.Clone(e.faults)
	e.mu.Unlock()

	errorRatio := 0.0
	if f[FaultErrorSpike] {
		errorRatio = 0.3
	}
	e.rust.SetFaults(rustsim.Faults{WriteErrorRatio: errorRatio, NotReady: f[FaultReadinessDown],
		Drift: f[FaultDrift], CheckpointRegression: f[FaultCheckpointRegression]})
	e.legacy.SetFaults(legacysim.Faults{WriteErrorRatio: errorRatio, IgnoreFreeze: f[FaultLegacyNotFrozen]})
	e.store.SetOutage(f[FaultPrometheusOutage])
	e.store.SetScrapesStopped(f[FaultScrapesStopped])
	slow := time.Duration(0)
	if f[FaultPrometheusSlow] {
		slow = 3 * time.Second
	}
	e.store.SetSlow(slow)
	if name == FaultCriticalParity {
		e.parity.kick()
	}
	return nil
}

// The Cloud Run services of the world's topology, the one `cockpit config
// example` assumes: each runtime's own service (every request it answers,
// probes included), and runtime-writes, the write path the control plane
// sends every write through, to its Rust or its legacy revision: the
// runtime of the user's cohort for a new run, the run's own runtime for
// its appends (per request under a traffic split).
const (
	serviceRust   = "runtime"
	serviceLegacy = "runtime-legacy"
	serviceWrites = "runtime-writes"
)

// The runtime-writes revisions. Routing writes (route-writes, cohort) moves
// users between these two revisions and creates none, so they stay 00001.
const (
	writesRevisionRust   = "runtime-writes-rust-00001"
	writesRevisionLegacy = "runtime-writes-legacy-00001"
)

// newRevision names the next revision of service as Cloud Run does,
// <service>-<5-digit sequence>-<3 random letters>, and makes it the one
// serving. Each redeploy (set-env) is one.
func (e *env) newRevision(service string) {
	letters := make([]byte, 3)
	for i := range letters {
		letters[i] = byte('a' + rand.IntN(26))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deploys[service]++
	e.revisions[service] = fmt.Sprintf("%s-%05d-%s", service, e.deploys[service], letters)
}

func (e *env) revision(service string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.revisions[service]
}

// serveAs puts h behind the Cloud Run service: every request it answers is
// counted under the serving revision, and every write the legacy runtime
// accepts (or fails to persist) is a projection write in the Khala
// telemetry. Rust writes never are (docs/runtime-facts.md §8: the Khala metrics
// move only on legacy writes), so after S1 they go quiet for good.
func (e *env) serveAs(service string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, req)
		status := rec.answered()
		e.platform.Count(service, e.revision(service), status)
		if req.Method == http.MethodPost && service == serviceLegacy {
			e.project(req.URL.Path, status)
		}
	})
}

// project feeds one legacy write's outcome to the projection telemetry: an
// accepted write is one projected write (with a sequence gap under the
// drift fault); a 500 is a failed projection write (an injected 500 is a
// persistence failure). Refusals (4xx, a frozen legacy's 410) project
// nothing.
func (e *env) project(path string, status int) {
	projection := simmetrics.ProjectionRunSummary
	if strings.Contains(path, "/workers") {
		projection = simmetrics.ProjectionWorkerSummary
	}
	switch {
	case status >= 200 && status < 300:
		e.khala.Write(projection, e.faultOn(FaultDrift))
	case status == http.StatusInternalServerError:
		e.khala.Failure(projection, simmetrics.ReasonPersistenceError)
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// answered is the status sent; a handler that wrote nothing answered 200.
func (s *statusRecorder) answered() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}

// parseAssignment splits KEY=VALUE as gcloud's --update-env-vars does.
func parseAssignment(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return "", "", fmt.Errorf("%q is not KEY=VALUE", s)
	}
	return key, value, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
