// Package sandbox is the rehearsal world: simulated Rust and legacy runtimes
// for staging and production, traffic through whichever is the write target,
// an embedded Prometheus (the real PromQL engine, in-memory storage) scraping only
// what the real deployment exports (Cloud Run's request counts from a
// platform target, the legacy runtime's telemetry; docs/metrics.md), a
// shadow-harness stand-in writing parity reports, controls that "redeploy"
// with a realistic delay, and faults an instructor can inject.
//
// It is used by `cockpit rehearse` and by tests, never by the cockpit itself.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/sandbox/legacysim"
	"github.com/openagents/cockpit/sandbox/promstore"
	"github.com/openagents/cockpit/sandbox/rustsim"
	"github.com/openagents/cockpit/sandbox/simmetrics"
)

// Environments are the world's two environments, in rollout order.
var Environments = []string{"staging", "production"}

// Options shape the world. Zero values take the defaults noted.
type Options struct {
	// Dir holds the generated config, reports and the cockpit's state.
	// Empty: a temporary directory removed by Close.
	Dir string
	// RedeployDelay is how long a control takes, like a new Cloud Run revision (default 3s).
	RedeployDelay time.Duration
	// ScrapeInterval of the embedded Prometheus (default 1s).
	ScrapeInterval time.Duration
	// WritesPerSecond per environment (default 40).
	WritesPerSecond float64
	// StagingWritesPerSecond overrides WritesPerSecond in staging: a quiet
	// staging (`cockpit rehearse` defaults to 0.05/s, fewer writes in a 5m
	// window than the error rates' min_requests). 0: WritesPerSecond.
	StagingWritesPerSecond float64
	// HarnessEvery is how often the shadow harness writes a report (default 15s).
	HarnessEvery time.Duration
	// Scenarios are faults switched on in every environment at start.
	Scenarios []string
	// Executable is the cockpit binary the generated actuators call (default: this process's).
	Executable string
	// DBURLEnv, when set, names the env var holding the DB URL the generated config points P4 at.
	DBURLEnv string
	// ControlAddr is where the control API listens (default a free loopback port).
	ControlAddr string
	// NotifyURL, when set, is a webhook the generated config tells every
	// notification event to (JSON body): `cockpit rehearse receiver`.
	NotifyURL string
	Logger    *slog.Logger

	// RustInstances is how many instances serve each environment's Rust
	// runtime, each with its own memory (default 1); RustAffinity pins a
	// run's requests to the instance that created it.
	RustInstances int
	RustAffinity  bool
	// RustModeUnset starts Rust without RUNTIME_AUTHORITY_WRITE_MODE: the
	// code's default, rust_active, accepting writes none is routed to.
	RustModeUnset bool
	// RustVersion is the Rust runtime's version: rustsim.VersionS (default)
	// or rustsim.VersionLatest.
	RustVersion string
}

func (o *Options) defaults() error {
	if o.RedeployDelay == 0 {
		o.RedeployDelay = 3 * time.Second
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = time.Second
	}
	if o.WritesPerSecond == 0 {
		o.WritesPerSecond = 40
	}
	if o.RustVersion == "" {
		o.RustVersion = rustsim.VersionS
	}
	if err := rustsim.CheckVersion(o.RustVersion); err != nil {
		return err
	}
	if o.RustInstances < 0 {
		return fmt.Errorf("%d rust instances: want 1 or more", o.RustInstances)
	}
	if o.HarnessEvery == 0 {
		o.HarnessEvery = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding the cockpit binary for the actuators: %w", err)
		}
		o.Executable = exe
	}
	for _, s := range o.Scenarios {
		if err := CheckFault(s); err != nil {
			return err
		}
	}
	return nil
}

// World is a running rehearsal world.
type World struct {
	opts       Options
	dir        string
	removeDir  bool
	dirLock    *lock.Lease // held while the world lives: a second world may not share its dir
	secret     []byte
	envs       map[string]*env
	controlURL string
	ConfigPath string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	servers []*http.Server
	stores  []*promstore.Store
}

// Start brings the whole world up on free loopback ports and writes its
// cockpit config. Close stops everything it started.
func Start(ctx context.Context, opts Options) (_ *World, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	// w is not the named result: `return nil, err` must not clear it
	// before the deferred Close stops what was already started.
	w := &World{opts: opts, envs: map[string]*env{}}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if err := w.makeDir(); err != nil {
		return nil, err
	}
	w.secret = randomSecret()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.cancel = cancel

	for _, name := range Environments {
		e, err := w.startEnv(runCtx, name)
		if err != nil {
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		w.envs[name] = e
	}
	ctlURL, err := w.serveOn(opts.ControlAddr, newControl(w).handler())
	if err != nil {
		return nil, fmt.Errorf("starting the control API: %w", err)
	}
	w.controlURL = ctlURL
	for _, e := range w.envs {
		for _, s := range opts.Scenarios {
			if err := e.setFault(s, true); err != nil {
				return nil, err
			}
		}
	}
	if w.ConfigPath, err = w.writeConfig(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *World) makeDir() error {
	if w.opts.Dir == "" {
		dir, err := os.MkdirTemp("", "cockpit-rehearsal-")
		if err != nil {
			return err
		}
		w.dir, w.removeDir = dir, true
	} else {
		w.dir = w.opts.Dir
		if err := os.MkdirAll(w.dir, 0o755); err != nil {
			return err
		}
	}
	// A live world owns its dir (config, secret, stores): a second one
	// there would rewrite them under it.
	host, _ := os.Hostname()
	lease, err := lock.FileLock(filepath.Join(w.dir, "world.lock")).Acquire(context.Background(),
		lock.Holder{Operator: "rehearsal world", Host: host, PID: os.Getpid(), Step: "rehearse", Since: time.Now()})
	var busy *lock.BusyError
	if errors.As(err, &busy) {
		return fmt.Errorf("%s belongs to a running rehearsal world (pid %d since %s): stop it or choose another --dir",
			w.dir, busy.Holder.PID, busy.Holder.Since.Local().Format(time.TimeOnly))
	}
	if err != nil {
		return err
	}
	w.dirLock = lease
	return nil
}

// KeptState is where the journal and rollback artifacts stay after Close,
// even in a temporary dir the world made itself; "" when there are none:
// what an operator made in a rehearsal is theirs to read afterwards.
func (w *World) KeptState() string {
	state := filepath.Join(w.dir, "state")
	if entries, err := os.ReadDir(state); err == nil && len(entries) > 0 {
		return state
	}
	return ""
}

func (w *World) startEnv(ctx context.Context, name string) (*env, error) {
	e := &env{name: name, production: name == "production", world: w, faults: map[string]bool{}, route: routing{seed: CanarySeed},
		revisions: map[string]string{}, deploys: map[string]int{},
		platform: simmetrics.NewCloudRun(), khala: simmetrics.NewKhala()}
	e.newRevision(serviceRust)
	e.newRevision(serviceLegacy)
	var err error
	// Before the cutover the legacy runtime is the authority and Rust runs frozen in shadow.
	rustEnv := map[string]string{"RUNTIME_AUTHORITY_WRITE_MODE": "shadow_only"}
	if w.opts.RustModeUnset {
		rustEnv = map[string]string{}
	}
	if e.rust, err = newRustPool(w.opts.RustInstances, w.opts.RustAffinity,
		rustsim.Options{Env: rustEnv, Version: w.opts.RustVersion}); err != nil {
		return nil, err
	}
	if e.legacy, err = legacysim.New(legacysim.Options{Env: map[string]string{
		"LEGACY_RUNTIME_WRITE_FREEZE": "false", "RUNTIME_SIGNATURE_SECRET": string(w.secret)}}); err != nil {
		return nil, err
	}
	// The Khala projection telemetry is the legacy app's: it is on the legacy target.
	if err := e.legacy.RegisterTelemetry(e.khala.Collectors()...); err != nil {
		return nil, err
	}
	if e.rustURL, err = w.serve(e.serveAs(serviceRust, e.rust.Handler())); err != nil {
		return nil, err
	}
	if e.legacyURL, err = w.serve(e.serveAs(serviceLegacy, e.legacy.Handler())); err != nil {
		return nil, err
	}
	if e.platformURL, err = w.serve(e.platform.Handler()); err != nil {
		return nil, err
	}
	e.parity = newParityLoop(e, filepath.Join(w.dir, "reports", name), w.opts.Logger)
	if err := e.parity.start(ctx); err != nil {
		return nil, err
	}
	var targets []promstore.Target
	for job, hp := range e.metricsTargets() {
		targets = append(targets, promstore.Target{Job: job, Instance: hp, URL: "http://" + hp + "/metrics", Labels: map[string]string{"env": name}})
	}
	store, err := promstore.Open(promstore.Options{
		ScrapeInterval: w.opts.ScrapeInterval,
		Targets:        targets,
		Logger:         w.opts.Logger.With("env", name, "component", "promstore"),
	})
	if err != nil {
		return nil, err
	}
	w.stores = append(w.stores, store)
	e.store = store
	w.goRun(func() { store.Run(ctx) })
	if e.promURL, err = w.serve(store.Handler()); err != nil {
		return nil, err
	}
	rate := w.opts.WritesPerSecond
	if name == "staging" && w.opts.StagingWritesPerSecond > 0 {
		rate = w.opts.StagingWritesPerSecond
	}
	e.traffic = newTraffic(e, rate, w.secret)
	w.goRun(func() { e.traffic.run(ctx) })
	return e, nil
}

// metricsTargets are the host:port of the environment's scrape targets, by
// job: the legacy runtime (its telemetry) and the platform (Cloud Run's
// request counts). The Rust runtime exports no metrics, so it is not one.
func (e *env) metricsTargets() map[string]string {
	return map[string]string{jobLegacy: hostPort(e.legacyURL), jobPlatform: hostPort(e.platformURL)}
}

// The scrape jobs of the world's Prometheus.
const (
	jobLegacy   = "legacy-runtime"
	jobPlatform = "platform"
)

func (w *World) goRun(f func()) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
}

// serve starts h on a free loopback port and returns its base URL.
func (w *World) serve(h http.Handler) (string, error) { return w.serveOn("", h) }

// serveOn starts h on addr (default a free loopback port).
func (w *World) serveOn(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	w.servers = append(w.servers, srv)
	w.goRun(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.opts.Logger.Error("server stopped", "addr", ln.Addr(), "err", err)
		}
	})
	return "http://" + ln.Addr().String(), nil
}

// Dir is where the world keeps its config, reports and state.
func (w *World) Dir() string { return w.dir }

// ControlURL is the base URL of the control API that `rehearse ctl` calls.
func (w *World) ControlURL() string { return w.controlURL }

// PrometheusURL is the embedded Prometheus of one environment.
func (w *World) PrometheusURL(env string) string { return w.envs[env].promURL }

// RuntimeURLs are one environment's Rust and legacy base URLs.
func (w *World) RuntimeURLs(env string) (rust, legacy string) {
	e := w.envs[env]
	return e.rustURL, e.legacyURL
}

// MetricsTargets are the host:port of one environment's scrape targets by
// job (legacy-runtime, platform), for a real Prometheus to scrape the same world.
func (w *World) MetricsTargets(env string) map[string]string { return w.envs[env].metricsTargets() }

// Secret is the legacy runtime's signature secret in this world.
func (w *World) Secret() []byte { return w.secret }

// removeAllBut removes the world's temporary dir except keep (the state
// dir: journal and artifacts), which stays when it holds anything.
func (w *World) removeAllBut(keep string) error {
	if w.KeptState() == "" {
		return os.RemoveAll(w.dir)
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if p := filepath.Join(w.dir, e.Name()); p != keep && e.Name() != "world.lock" {
			errs = append(errs, os.RemoveAll(p))
		}
	}
	return errors.Join(errs...)
}

// Close stops every server, loop and store the world started.
func (w *World) Close() error {
	if w.cancel != nil {
		w.cancel()
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, s := range w.servers {
		_ = s.Shutdown(shutdown)
	}
	w.wg.Wait()
	var errs []error
	for _, s := range w.stores {
		errs = append(errs, s.Close())
	}
	if w.removeDir {
		errs = append(errs, w.removeAllBut(filepath.Join(w.dir, "state")))
	}
	if w.dirLock != nil {
		errs = append(errs, w.dirLock.Release())
	}
	return errors.Join(errs...)
}

func hostPort(u string) string { return u[len("http://"):] }

func randomSecret() []byte {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return []byte(hex.EncodeToString(b))
}
