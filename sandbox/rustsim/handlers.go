package rustsim

import (
	"net/http"
)

// routes wires the API like the runtime's build_router, /healthz and
// /readyz included. There is no /metrics: the runtime exports no Prometheus
// metrics (docs/runtime-facts.md §6), so that path is an unknown path, 404.
func (r *Runtime) routes() http.Handler {
	api := &router{}
	api.add(http.MethodGet, "/healthz", r.health)
	api.add(http.MethodGet, "/readyz", r.readiness)
	api.add(http.MethodPost, "/internal/v1/runs", r.startRun)
	api.add(http.MethodGet, "/internal/v1/runs/:run_id", r.getRun)
	api.add(http.MethodPost, "/internal/v1/runs/:run_id/events", r.appendRunEvent)
	api.add(http.MethodGet, "/internal/v1/runs/:run_id/receipt", r.getReceipt)
	api.add(http.MethodGet, "/internal/v1/runs/:run_id/replay", r.getReplay)
	api.add(http.MethodGet, "/internal/v1/khala/topics/:topic/messages", r.getKhalaMessages)
	api.add(http.MethodGet, "/internal/v1/khala/fanout/metrics", r.getFanoutMetrics)
	api.add(http.MethodGet, "/internal/v1/khala/fanout/hooks", r.getFanoutHooks)
	api.add(http.MethodGet, "/internal/v1/projectors/checkpoints/:run_id", r.getRunCheckpoint)
	api.add(http.MethodGet, "/internal/v1/projectors/drift", r.getDrift)
	api.add(http.MethodGet, "/internal/v1/projectors/run-summary/:run_id", r.getRunSummary)
	api.add(http.MethodPost, "/internal/v1/workers", r.registerWorker)
	api.add(http.MethodGet, "/internal/v1/workers/:worker_id", r.getWorker)
	api.add(http.MethodPost, "/internal/v1/workers/:worker_id/heartbeat", r.heartbeatWorker)
	api.add(http.MethodPost, "/internal/v1/workers/:worker_id/status", r.transitionWorker)
	api.add(http.MethodGet, "/internal/v1/workers/:worker_id/checkpoint", r.getWorkerCheckpoint)
	return api
}

// locked runs f under the runtime's lock and writes its reply afterwards.
func (r *Runtime) locked(w http.ResponseWriter, f func() reply) {
	r.mu.Lock()
	rp := f()
	r.mu.Unlock()
	rp.write(w)
}

// serve answers a read: the extractor's rejection when extraction failed,
// else f's reply under the lock.
func (r *Runtime) serve(w http.ResponseWriter, rj *rejection, f func() reply) {
	if rj != nil {
		rj.write(w)
		return
	}
	r.locked(w, f)
}

// serveWrite answers a write in the runtime's order: the extractor's
// rejection first, then the write-authority check under the lock, then f.
func (r *Runtime) serveWrite(w http.ResponseWriter, rj *rejection, f func() reply) {
	r.serve(w, rj, func() reply {
		if err := r.guardWrite(); err != nil {
			return err.reply()
		}
		return f()
	})
}

// guardWrite is the runtime's ensure_runtime_write_authority: the first
// thing a write handler does once axum has extracted path and body.
// Caller holds r.mu.
func (r *Runtime) guardWrite() *apiError {
	if r.proc.mode != ModeRustActive {
		return errFrozen(r.proc.mode)
	}
	return nil
}

// failWrite answers an injected write failure, as a projector error
// surfaces in the runtime. Caller holds r.mu.
func (r *Runtime) failWrite() reply {
	return errInternal("projector failure: projector persistence error: simulated write failure").reply()
}

func (r *Runtime) health(w http.ResponseWriter, _ *http.Request, _ params) {
	r.locked(w, func() reply {
		uptime := int64(r.now().Sub(r.proc.startedAt).Seconds())
		if r.latest {
			return jsonReply(http.StatusOK, healthLatest{healthCommon{"ok", r.proc.service, r.proc.buildSHA, uptime,
				r.proc.mode, r.proc.mode == ModeRustActive}, false})
		}
		return jsonReply(http.StatusOK, healthS{healthCommon{"ok", r.proc.service, r.proc.buildSHA, uptime,
			r.proc.mode, r.proc.mode == ModeRustActive}, fanoutDriver})
	})
}

// healthCommon is what /healthz says at every version.
type healthCommon struct {
	Status                string `json:"status"`
	Service               string `json:"service"`
	BuildSHA              string `json:"build_sha"`
	UptimeSeconds         int64  `json:"uptime_seconds"`
	AuthorityWriteMode    string `json:"authority_write_mode"`
	AuthorityWriterActive bool   `json:"authority_writer_active"`
}

// healthS is /healthz at VersionS: the fanout driver last.
type healthS struct {
	healthCommon
	FanoutDriver string `json:"fanout_driver"`
}

// healthLatest is /healthz at VersionLatest: whether a database is
// configured instead of the fanout driver (the simulation has none).
type healthLatest struct {
	healthCommon
	DBConfigured bool `json:"db_configured"`
}

func (r *Runtime) readiness(w http.ResponseWriter, _ *http.Request, _ params) {
	r.locked(w, func() reply {
		ready := !r.faults.NotReady
		status, code := "ready", http.StatusOK
		if !ready {
			status, code = "not_ready", http.StatusServiceUnavailable
		}
		return jsonReply(code, struct {
			Status                string `json:"status"`
			AuthorityReady        bool   `json:"authority_ready"`
			ProjectorReady        bool   `json:"projector_ready"`
			WorkersReady          bool   `json:"workers_ready"`
			AuthorityWriterActive bool   `json:"authority_writer_active"`
			FanoutDriver          string `json:"fanout_driver"`
		}{status, ready, ready, ready, r.proc.mode == ModeRustActive, fanoutDriver})
	})
}
