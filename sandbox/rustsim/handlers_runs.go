package rustsim

import (
	"net/http"
	"strings"
	"time"
)

type runResponse struct {
	Run *runRecord `json:"run"`
}

// projectRun feeds one committed run event to the projector and the
// fanout hub. Caller holds r.mu.
func (r *Runtime) projectRun(runID string, ev runEvent, now time.Time) {
	r.proj.applyRunEvent(runID, ev, r.faults, now)
	r.proc.fanout.publish(runTopic(runID), ev.Seq)
}

type startRunRequest struct {
	workerID *string
	metadata any
}

func decodeStartRun(req *http.Request) (startRunRequest, *rejection) {
	body, rj := extractJSON(req, "StartRunBody")
	if rj != nil {
		return startRunRequest{}, rj
	}
	workerID, rj := body.optString("worker_id")
	if rj != nil {
		return startRunRequest{}, rj
	}
	return startRunRequest{workerID: workerID, metadata: body.value("metadata")}, nil
}

// startRun has no idempotency: every accepted call creates a run.
func (r *Runtime) startRun(w http.ResponseWriter, req *http.Request, _ params) {
	sr, rj := decodeStartRun(req)
	r.serveWrite(w, rj, func() reply {
		if r.writeFails() {
			return r.failWrite()
		}
		now := r.now()
		run := newRun(newUUIDv7(now, r.rng), sr.workerID, sr.metadata, now)
		r.proc.runs[run.ID] = run
		r.projectRun(run.ID, run.Events[0], now)
		return jsonReply(http.StatusCreated, runResponse{run})
	})
}

func (r *Runtime) appendRunEvent(w http.ResponseWriter, req *http.Request, p params) {
	runID, rj := pathUUID(p, "run_id")
	if rj != nil {
		rj.write(w)
		return
	}
	ar, rj := decodeAppend(req)
	r.serveWrite(w, rj, func() reply {
		if strings.TrimSpace(ar.EventType) == "" {
			return errInvalid("event_type cannot be empty").reply()
		}
		run, ok := r.proc.runs[runID]
		if !ok {
			return errNotFound().reply()
		}
		now := r.now()
		plan, apiErr := planAppend(run, ar, now)
		if apiErr != nil {
			return apiErr.reply()
		}
		if !plan.duplicate {
			if r.writeFails() {
				return r.failWrite()
			}
			run.commit(plan)
			r.projectRun(run.ID, plan.event, now)
		}
		return jsonReply(http.StatusOK, runResponse{run})
	})
}

func decodeAppend(req *http.Request) (appendRequest, *rejection) {
	body, rj := extractJSON(req, "AppendRunEventBody")
	if rj != nil {
		return appendRequest{}, rj
	}
	var ar appendRequest
	if ar.EventType, rj = body.reqString("event_type"); rj != nil {
		return appendRequest{}, rj
	}
	ar.Payload = body.value("payload")
	if ar.IdempotencyKey, rj = body.optString("idempotency_key"); rj != nil {
		return appendRequest{}, rj
	}
	if ar.ExpectedPreviousSeq, rj = body.optUint("expected_previous_seq"); rj != nil {
		return appendRequest{}, rj
	}
	return ar, nil
}

// withRun serves a read of one run: bad id 400 (plain), unknown run 404.
func (r *Runtime) withRun(w http.ResponseWriter, p params, f func(*runRecord) reply) {
	runID, rj := pathUUID(p, "run_id")
	r.serve(w, rj, func() reply {
		run, ok := r.proc.runs[runID]
		if !ok {
			return errNotFound().reply()
		}
		return f(run)
	})
}

func (r *Runtime) getRun(w http.ResponseWriter, _ *http.Request, p params) {
	r.withRun(w, p, func(run *runRecord) reply { return jsonReply(http.StatusOK, runResponse{run}) })
}

func (r *Runtime) getReceipt(w http.ResponseWriter, _ *http.Request, p params) {
	r.withRun(w, p, func(run *runRecord) reply { return jsonReply(http.StatusOK, buildReceipt(run)) })
}

func (r *Runtime) getReplay(w http.ResponseWriter, _ *http.Request, p params) {
	r.withRun(w, p, func(run *runRecord) reply {
		return reply{status: http.StatusOK, contentType: "application/x-ndjson", body: buildReplay(run, r.latest)}
	})
}
