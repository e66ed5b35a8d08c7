package rustsim

import (
	"fmt"
	"strings"
	"time"
)

// heartbeatStaleAfter is the runtime's default liveness window.
const heartbeatStaleAfter = 120 * time.Second

type workerOwner struct {
	UserID     *uint64 `json:"user_id"`
	GuestScope *string `json:"guest_scope"`
}

// valid follows the runtime's WorkerOwner::is_valid, quirks included.
func (o workerOwner) valid() bool {
	switch {
	case o.UserID != nil && o.GuestScope != nil:
		return strings.TrimSpace(*o.GuestScope) == ""
	case o.UserID != nil:
		return true
	case o.GuestScope != nil:
		return strings.TrimSpace(*o.GuestScope) != ""
	}
	return false
}

func (o workerOwner) matches(other workerOwner) bool {
	switch {
	case o.UserID != nil && other.UserID != nil:
		return *o.UserID == *other.UserID
	case o.UserID == nil && other.UserID == nil:
		return trimmedPtr(o.GuestScope) == trimmedPtr(other.GuestScope)
	}
	return false
}

func trimmedPtr(s *string) string {
	if s == nil {
		return "\x00none"
	}
	return strings.TrimSpace(*s)
}

var errInvalidOwner = errInvalid("owner_user_id or owner_guest_scope must be provided (but not both)")

type worker struct {
	WorkerID        string      `json:"worker_id"`
	Owner           workerOwner `json:"owner"`
	WorkspaceRef    *string     `json:"workspace_ref"`
	CodexHomeRef    *string     `json:"codex_home_ref"`
	Adapter         string      `json:"adapter"`
	Status          string      `json:"status"`
	LatestSeq       uint64      `json:"latest_seq"`
	Metadata        any         `json:"metadata"`
	StartedAt       chronoTime  `json:"started_at"`
	StoppedAt       *chronoTime `json:"stopped_at"`
	LastHeartbeatAt *chronoTime `json:"last_heartbeat_at"`
	UpdatedAt       chronoTime  `json:"updated_at"`
}

type workerLiveness struct {
	HeartbeatAgeMS        *int64 `json:"heartbeat_age_ms"`
	HeartbeatStaleAfterMS int64  `json:"heartbeat_stale_after_ms"`
	HeartbeatState        string `json:"heartbeat_state"`
}

type workerSnapshot struct {
	Worker   worker         `json:"worker"`
	Liveness workerLiveness `json:"liveness"`
}

func (w *worker) snapshot(now time.Time) workerSnapshot {
	l := workerLiveness{HeartbeatStaleAfterMS: heartbeatStaleAfter.Milliseconds()}
	if w.LastHeartbeatAt != nil {
		age := max(now.Sub(time.Time(*w.LastHeartbeatAt)).Milliseconds(), 0)
		l.HeartbeatAgeMS = &age
	}
	switch {
	case w.Status == "stopped" || w.Status == "failed":
		l.HeartbeatState = w.Status
	case l.HeartbeatAgeMS == nil:
		l.HeartbeatState = "missing"
	case *l.HeartbeatAgeMS > heartbeatStaleAfter.Milliseconds():
		l.HeartbeatState = "stale"
	default:
		l.HeartbeatState = "fresh"
	}
	return workerSnapshot{Worker: *w, Liveness: l}
}

// bump records a lifecycle event and returns its sequence number.
func (w *worker) bump(now time.Time) uint64 {
	w.LatestSeq++
	w.UpdatedAt = chronoTime(now)
	return w.LatestSeq
}

// workerTransitions is the runtime's allowed worker status matrix.
var workerTransitions = map[string][]string{
	"starting": {"running", "stopping", "failed"},
	"running":  {"stopping", "stopped", "failed"},
	"stopping": {"stopped", "failed"},
	"stopped":  {"starting", "running"},
	"failed":   {"starting", "running"},
}

func workerTransitionAllowed(from, to string) bool {
	if from == to {
		return true
	}
	for _, s := range workerTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

func workerTransitionError(from, to string) *apiError {
	return errInvalid(fmt.Sprintf("invalid worker transition from %s to %s", debugStatus(from), debugStatus(to)))
}

// lookupWorker applies the owner checks every worker call shares.
func lookupWorker(workers map[string]*worker, id string, owner workerOwner) (*worker, *apiError) {
	if !owner.valid() {
		return nil, errInvalidOwner
	}
	w, ok := workers[id]
	if !ok {
		return nil, errNotFound()
	}
	if !w.Owner.matches(owner) {
		return nil, errForbidden("owner mismatch for worker " + id)
	}
	return w, nil
}
