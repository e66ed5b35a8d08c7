package rustsim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

type workerResponse struct {
	Worker workerSnapshot `json:"worker"`
}

// ownerFromBody reads owner_user_id / owner_guest_scope from a JSON body.
func ownerFromBody(b *jsonBody) (workerOwner, *rejection) {
	uid, rj := b.optUint("owner_user_id")
	if rj != nil {
		return workerOwner{}, rj
	}
	scope, rj := b.optString("owner_guest_scope")
	if rj != nil {
		return workerOwner{}, rj
	}
	return workerOwner{UserID: uid, GuestScope: scope}, nil
}

// recordWorkerEvent projects and publishes a lifecycle event. Caller holds r.mu.
func (r *Runtime) recordWorkerEvent(wk *worker, eventType string, now time.Time) {
	seq := wk.bump(now)
	r.proj.applyWorkerEvent(wk.WorkerID, seq, eventType, now)
	r.proc.fanout.publish(workerTopic(wk.WorkerID), seq)
}

type registerRequest struct {
	workerID, workspaceRef, codexHomeRef, adapter *string
	owner                                         workerOwner
	metadata                                      any
}

func decodeRegister(req *http.Request) (registerRequest, *rejection) {
	b, rj := extractJSON(req, "RegisterWorkerBody")
	if rj != nil {
		return registerRequest{}, rj
	}
	var rr registerRequest
	for field, dst := range map[string]**string{
		"worker_id": &rr.workerID, "workspace_ref": &rr.workspaceRef, "codex_home_ref": &rr.codexHomeRef, "adapter": &rr.adapter,
	} {
		if *dst, rj = b.optString(field); rj != nil {
			return registerRequest{}, rj
		}
	}
	if rr.owner, rj = ownerFromBody(b); rj != nil {
		return registerRequest{}, rj
	}
	rr.metadata = b.value("metadata")
	return rr, nil
}

func nonBlank(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

func (r *Runtime) registerWorker(w http.ResponseWriter, req *http.Request, _ params) {
	rr, rj := decodeRegister(req)
	r.serveWrite(w, rj, func() reply {
		if !rr.owner.valid() {
			return errInvalidOwner.reply()
		}
		now := r.now()
		id := nonBlank(rr.workerID)
		if id == "" {
			id = "codexw_" + newUUIDv7(now, r.rng)
		}
		wk, exists := r.proc.workers[id]
		if exists && !wk.Owner.matches(rr.owner) {
			return errForbidden("owner mismatch for worker " + id).reply()
		}
		if r.writeFails() {
			return r.failWrite()
		}
		adapter := nonBlank(rr.adapter)
		if adapter == "" {
			adapter = "in_memory"
		}
		if !exists {
			hb := chronoTime(now)
			wk = &worker{WorkerID: id, Owner: rr.owner, Metadata: rr.metadata, Status: "running", StartedAt: hb, LastHeartbeatAt: &hb}
			r.proc.workers[id] = wk
		} else {
			mergeMetadata(&wk.Metadata, rr.metadata)
			if wk.Status == "stopped" || wk.Status == "failed" {
				wk.Status, wk.StoppedAt = "running", nil
			}
		}
		wk.WorkspaceRef, wk.CodexHomeRef, wk.Adapter = rr.workspaceRef, rr.codexHomeRef, adapter
		r.recordWorkerEvent(wk, "worker.started", now)
		return jsonReply(http.StatusCreated, workerResponse{wk.snapshot(now)})
	})
}

func mergeMetadata(target *any, patch any) {
	t, ok1 := (*target).(map[string]any)
	p, ok2 := patch.(map[string]any)
	if !ok1 || !ok2 {
		return
	}
	for k, v := range p {
		t[k] = v
	}
}

type heartbeatRequest struct {
	owner workerOwner
	patch any
}

func decodeHeartbeat(req *http.Request) (heartbeatRequest, *rejection) {
	b, rj := extractJSON(req, "WorkerHeartbeatBody")
	if rj != nil {
		return heartbeatRequest{}, rj
	}
	owner, rj := ownerFromBody(b)
	if rj != nil {
		return heartbeatRequest{}, rj
	}
	return heartbeatRequest{owner: owner, patch: b.value("metadata_patch")}, nil
}

func (r *Runtime) heartbeatWorker(w http.ResponseWriter, req *http.Request, p params) {
	hr, rj := decodeHeartbeat(req)
	r.serveWrite(w, rj, func() reply {
		wk, apiErr := lookupWorker(r.proc.workers, p["worker_id"], hr.owner)
		if apiErr != nil {
			return apiErr.reply()
		}
		if r.writeFails() {
			return r.failWrite()
		}
		now := r.now()
		hb := chronoTime(now)
		wk.LastHeartbeatAt = &hb
		mergeMetadata(&wk.Metadata, hr.patch)
		r.recordWorkerEvent(wk, "worker.heartbeat", now)
		return jsonReply(http.StatusOK, workerResponse{wk.snapshot(now)})
	})
}

var workerStatuses = []string{"starting", "running", "stopping", "stopped", "failed"}

func decodeWorkerStatus(b *jsonBody) (string, *rejection) {
	s, rj := b.reqString("status")
	if rj != nil {
		return "", rj
	}
	for _, known := range workerStatuses {
		if s == known {
			return s, nil
		}
	}
	return "", bodyRejection(http.StatusUnprocessableEntity,
		"Failed to deserialize the JSON body into the target type: status: unknown variant `%s`, expected one of %s", s,
		fmt.Sprintf("`%s`", strings.Join(workerStatuses, "`, `")))
}

type transitionRequest struct {
	owner workerOwner
	to    string
}

func decodeTransition(req *http.Request) (transitionRequest, *rejection) {
	b, rj := extractJSON(req, "WorkerTransitionBody")
	if rj != nil {
		return transitionRequest{}, rj
	}
	var tr transitionRequest
	if tr.owner, rj = ownerFromBody(b); rj != nil {
		return transitionRequest{}, rj
	}
	if tr.to, rj = decodeWorkerStatus(b); rj != nil {
		return transitionRequest{}, rj
	}
	if _, rj = b.optString("reason"); rj != nil {
		return transitionRequest{}, rj
	}
	return tr, nil
}

func (r *Runtime) transitionWorker(w http.ResponseWriter, req *http.Request, p params) {
	tr, rj := decodeTransition(req)
	r.serveWrite(w, rj, func() reply {
		wk, apiErr := lookupWorker(r.proc.workers, p["worker_id"], tr.owner)
		if apiErr != nil {
			return apiErr.reply()
		}
		if !workerTransitionAllowed(wk.Status, tr.to) {
			return workerTransitionError(wk.Status, tr.to).reply()
		}
		if r.writeFails() {
			return r.failWrite()
		}
		now := r.now()
		wk.Status = tr.to
		wk.StoppedAt = nil
		if tr.to == "stopped" || tr.to == "failed" {
			at := chronoTime(now)
			wk.StoppedAt, wk.LastHeartbeatAt = &at, &at
		}
		r.recordWorkerEvent(wk, "worker."+tr.to, now)
		return jsonReply(http.StatusOK, workerResponse{wk.snapshot(now)})
	})
}

func (r *Runtime) getWorker(w http.ResponseWriter, req *http.Request, p params) {
	q := req.URL.Query()
	uid, rj := queryUint(q, "owner_user_id")
	owner := workerOwner{UserID: uid, GuestScope: queryString(q, "owner_guest_scope")}
	r.serve(w, rj, func() reply {
		wk, apiErr := lookupWorker(r.proc.workers, p["worker_id"], owner)
		if apiErr != nil {
			return apiErr.reply()
		}
		return jsonReply(http.StatusOK, workerResponse{wk.snapshot(r.now())})
	})
}

func (r *Runtime) getWorkerCheckpoint(w http.ResponseWriter, _ *http.Request, p params) {
	r.locked(w, func() reply { return objectReply(r.proj.checkpoints, workerTopic(p["worker_id"]), "checkpoint") })
}
