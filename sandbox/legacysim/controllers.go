package legacysim

import (
	"net/http"
	"strings"
)

// runSnapshot is what GET /internal/v1/runs/:run_id/snapshot shows of the
// frames and cancels the node has accepted for a run.
type runSnapshot struct {
	RunID     string `json:"run_id"`
	Status    string `json:"status"`
	LatestSeq int    `json:"latest_seq"`
}

// mutate validates a write and, if valid, records it. Caller holds r.mu.
func (r *Runtime) mutate(m *mutation, params map[string]any) reply {
	for _, field := range m.required {
		if missing(params[field]) {
			return apiError(http.StatusUnprocessableEntity, "invalid_request", field+" is required")
		}
	}
	runID, onRun := params["run_id"].(string)
	snap := r.runs[runID]
	if onRun && snap == nil {
		// The run's ownership record comes first (OwnershipGuard): a run
		// this runtime never held is 404 not_found, nothing written.
		return apiError(http.StatusNotFound, "not_found", "run/thread ownership record not found")
	}
	if r.faults.WriteErrorRatio > 0 && r.rng.Float64() < r.faults.WriteErrorRatio {
		return phoenixError(http.StatusInternalServerError, "Internal Server Error")
	}
	r.writes[m.pattern]++
	if onRun {
		if frames, ok := params["frames"].([]any); ok {
			snap.LatestSeq += len(frames)
		}
		if strings.HasSuffix(m.pattern, "/cancel") {
			snap.Status = "canceled"
		}
	}
	return reply{m.status, map[string]any{"data": map[string]any{"status": "accepted"}}}
}

// missing is the controllers' presence check: absent, null, a blank
// string or an empty list or map.
func missing(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// healthLocked answers the signed health check. Caller holds r.mu.
func (r *Runtime) healthLocked() reply {
	version := strings.TrimSpace(r.env[EnvVersion])
	if version == "" {
		version = "0.1.0"
	}
	if r.faults.NotReady {
		return reply{http.StatusServiceUnavailable, map[string]string{"status": "degraded", "service": "runtime", "version": version}}
	}
	return reply{http.StatusOK, map[string]string{"status": "ok", "service": "runtime", "version": version}}
}

func (r *Runtime) snapshotLocked(runID string) reply {
	snap, ok := r.runs[runID]
	if !ok {
		return apiError(http.StatusNotFound, "not_found", "run not found")
	}
	return reply{http.StatusOK, map[string]any{"data": snap}}
}
