package rustsim

import (
	"encoding/json"
	"time"
)

// receipt is openagents.receipt.v1 as the runtime serves it.
type receipt struct {
	Schema         string `json:"schema"`
	SessionID      string `json:"session_id"`
	TrajectoryHash string `json:"trajectory_hash"`
	PolicyBundleID string `json:"policy_bundle_id"`
	CreatedAt      string `json:"created_at"`
	EventCount     int    `json:"event_count"`
	FirstSeq       uint64 `json:"first_seq"`
	LastSeq        uint64 `json:"last_seq"`
	ToolCalls      []any  `json:"tool_calls"`
	Verification   []any  `json:"verification"`
}

func buildReceipt(run *runRecord) receipt {
	rc := receipt{
		Schema:         "openagents.receipt.v1",
		SessionID:      run.ID,
		TrajectoryHash: trajectoryHash(run.Events),
		PolicyBundleID: policyBundleID(run.Metadata),
		CreatedAt:      rfc3339(time.Time(run.CreatedAt)),
		EventCount:     len(run.Events),
		ToolCalls:      []any{},
		Verification:   []any{},
	}
	if n := len(run.Events); n > 0 {
		rc.FirstSeq, rc.LastSeq = run.Events[0].Seq, run.Events[n-1].Seq
	}
	return rc
}

// trajectoryHash covers every event including recorded_at and the
// idempotency key, so two independently executed runs never match.
func trajectoryHash(events []runEvent) string {
	canon := make([]any, len(events))
	for i, ev := range events {
		var key any
		if ev.IdempotencyKey != nil {
			key = *ev.IdempotencyKey
		}
		canon[i] = map[string]any{
			"seq":             ev.Seq,
			"event_type":      ev.EventType,
			"payload":         ev.Payload,
			"idempotency_key": key,
			"recorded_at":     rfc3339(time.Time(ev.RecordedAt)),
		}
	}
	return sha256Prefixed(marshal(canon))
}

func policyBundleID(metadata any) string {
	if m, ok := metadata.(map[string]any); ok {
		if s, ok := m["policy_bundle_id"].(string); ok {
			return s
		}
	}
	return "runtime.default"
}

// buildReplay renders the NDJSON replay: one canonical (sorted-key) JSON
// object per line and a trailing newline. The shadow harness hashes these
// exact bytes. latest renders the newest runtime's shape (replayLatest).
func buildReplay(run *runRecord, latest bool) []byte {
	lines := replayS(run)
	if latest {
		lines = replayLatest(run)
	}
	var out []byte
	for _, l := range lines {
		out = append(out, marshal(l)...)
		out = append(out, '\n')
	}
	return out
}

// replayS is the replay at VersionS: lines tagged "type", times in "ts".
func replayS(run *runRecord) []map[string]any {
	created := rfc3339(time.Time(run.CreatedAt))
	lines := []map[string]any{
		{"type": "ReplayHeader", "replay_version": 1, "producer": "openagents-runtime", "created_at": created},
		{"type": "SessionStart", "ts": created, "session_id": run.ID, "policy_bundle_id": policyBundleID(run.Metadata)},
	}
	end := rfc3339(time.Time(run.UpdatedAt))
	for _, ev := range run.Events {
		ts := rfc3339(time.Time(ev.RecordedAt))
		lines = append(lines, map[string]any{
			"type": "RuntimeEvent", "ts": ts, "session_id": run.ID, "seq": ev.Seq,
			"runtime_event_type": ev.EventType, "payload_hash": sha256Prefixed(marshal(ev.Payload)), "payload": ev.Payload,
		})
		end = ts
	}
	status, confidence := replayOutcome(run.Status)
	return append(lines, map[string]any{
		"type": "SessionEnd", "ts": end, "session_id": run.ID, "status": status,
		"confidence": confidence, "total_tool_calls": 0,
	})
}

// replayLatest is the replay at VersionLatest (artifacts.rs's ReplayEvent,
// serde tag "event"): times in "t", SessionStart with issue_number,
// RuntimeEvent with its idempotency key, SessionEnd without session_id and
// with total_latency_ms. The tool, verification and payment event types the
// newest runtime renders differently are not simulated: the world's traffic
// and the cockpit's probe never write them.
func replayLatest(run *runRecord) []map[string]any {
	created := rfc3339(time.Time(run.CreatedAt))
	lines := []map[string]any{
		{"event": "ReplayHeader", "replay_version": 1, "producer": "openagents-runtime", "created_at": created},
		{"event": "SessionStart", "t": created, "session_id": run.ID, "issue_number": nil, "policy_bundle_id": policyBundleID(run.Metadata)},
	}
	end := rfc3339(time.Time(run.UpdatedAt))
	for _, ev := range run.Events {
		t := rfc3339(time.Time(ev.RecordedAt))
		var key any
		if ev.IdempotencyKey != nil {
			key = *ev.IdempotencyKey
		}
		lines = append(lines, map[string]any{
			"event": "RuntimeEvent", "t": t, "session_id": run.ID, "seq": ev.Seq, "runtime_event_type": ev.EventType,
			"payload_hash": sha256Prefixed(marshal(ev.Payload)), "payload": ev.Payload, "idempotency_key": key,
		})
		end = t
	}
	status, confidence := replayOutcome(run.Status)
	return append(lines, map[string]any{
		"event": "SessionEnd", "t": end, "status": status, "confidence": confidence,
		"total_tool_calls": 0, "total_latency_ms": 0,
	})
}

// replayOutcome maps a run status to SessionEnd. The confidence is a
// json.Number so it prints as Rust's f64 does ("1.0", not Go's "1").
func replayOutcome(status string) (string, json.Number) {
	switch status {
	case "succeeded":
		return "success", "1.0"
	case "failed":
		return "failure", "0.0"
	case "canceled":
		return "cancelled", "0.0"
	}
	return "success", "0.5"
}
