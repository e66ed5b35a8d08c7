package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture is one side's capture as the values the harness compares plus the
// raw replay. baseCapture derives it from a realistic finished run, rendered
// as the Rust runtime's GET bodies (facts §1).
type capture struct {
	runID                   string
	sessionID               string
	trajectoryHash          string
	receiptEventCount       int
	receiptLastSeq          int
	replay                  string
	summaryStatus           string
	summaryLastSeq          int
	summaryEventCount       int
	projectionHash          string
	checkpointLastSeq       int
	checkpointLastEventType string
}

type runEvent struct {
	seq            int
	eventType      string
	payload        map[string]any
	idempotencyKey any // nil or string, as the runtime serializes it
	recordedAt     string
}

const (
	fixtureRunID     = "0195f3a2-6b1c-7d2e-9a4b-3c5d6e7f8a9b"
	fixtureCreatedAt = "2026-02-21T14:00:00.125+00:00"
)

func fixtureEvents() []runEvent {
	return []runEvent{
		{1, "run.started", map[string]any{"source": "runtime"}, nil, "2026-02-21T14:00:00.125+00:00"},
		{2, "run.step.completed", map[string]any{"step": "plan", "tokens": 512}, "step-plan-1", "2026-02-21T14:00:01.500+00:00"},
		{3, "run.finished", map[string]any{"status": "succeeded"}, "finish-1", "2026-02-21T14:00:02.750+00:00"},
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps marshal with sorted keys: the runtime's canonical JSON
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sha256Prefixed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// baseCapture is the Rust runtime's view of a succeeded three-event run.
func baseCapture(t *testing.T) capture {
	t.Helper()
	events := fixtureEvents()
	var canonical []map[string]any
	lines := []string{
		mustJSON(t, map[string]any{"type": "ReplayHeader", "replay_version": 1, "producer": "openagents-runtime", "created_at": fixtureCreatedAt}),
		mustJSON(t, map[string]any{"type": "SessionStart", "ts": fixtureCreatedAt, "session_id": fixtureRunID, "policy_bundle_id": "runtime.default"}),
	}
	for _, e := range events {
		canonical = append(canonical, map[string]any{
			"seq": e.seq, "event_type": e.eventType, "payload": e.payload,
			"idempotency_key": e.idempotencyKey, "recorded_at": e.recordedAt,
		})
		lines = append(lines, mustJSON(t, map[string]any{
			"type": "RuntimeEvent", "ts": e.recordedAt, "session_id": fixtureRunID, "seq": e.seq,
			"runtime_event_type": e.eventType, "payload_hash": sha256Prefixed(mustJSON(t, e.payload)), "payload": e.payload,
		}))
	}
	last := events[len(events)-1]
	lines = append(lines, mustJSON(t, map[string]any{
		"type": "SessionEnd", "ts": last.recordedAt, "session_id": fixtureRunID,
		"status": "success", "confidence": json.RawMessage("1.0"), "total_tool_calls": 0, // serde writes f64 1.0 as 1.0
	}))
	return capture{
		runID:                   fixtureRunID,
		sessionID:               fixtureRunID,
		trajectoryHash:          sha256Prefixed(mustJSON(t, canonical)),
		receiptEventCount:       len(events),
		receiptLastSeq:          last.seq,
		replay:                  strings.Join(lines, "\n") + "\n",
		summaryStatus:           "succeeded",
		summaryLastSeq:          last.seq,
		summaryEventCount:       len(events),
		projectionHash:          sha256Prefixed(mustJSON(t, map[string]any{"run_id": fixtureRunID, "status": "succeeded", "last_seq": last.seq, "event_count": len(events)})),
		checkpointLastSeq:       last.seq,
		checkpointLastEventType: last.eventType,
	}
}

// bodies renders the capture as the four GET response bodies.
func (c capture) bodies(t *testing.T) map[string]string {
	t.Helper()
	const updatedAt = "2026-02-21T14:00:02.750+00:00"
	return map[string]string{
		receiptFile: mustJSON(t, map[string]any{
			"schema": "openagents.receipt.v1", "session_id": c.sessionID, "trajectory_hash": c.trajectoryHash,
			"policy_bundle_id": "runtime.default", "created_at": fixtureCreatedAt, "event_count": c.receiptEventCount,
			"first_seq": 1, "last_seq": c.receiptLastSeq, "tool_calls": []any{}, "verification": []any{},
		}),
		replayFile: c.replay,
		summaryFile: mustJSON(t, map[string]any{"summary": map[string]any{
			"run_id": c.runID, "status": c.summaryStatus, "last_seq": c.summaryLastSeq,
			"event_count": c.summaryEventCount, "projection_hash": c.projectionHash, "updated_at": updatedAt,
		}}),
		checkpointFile: mustJSON(t, map[string]any{"checkpoint": map[string]any{
			"topic": "run:" + c.runID + ":events", "last_seq": c.checkpointLastSeq,
			"last_event_type": c.checkpointLastEventType, "updated_at": updatedAt,
		}}),
	}
}

// writeCapture writes c and its manifest under dir and returns the
// manifest's path.
func writeCapture(t *testing.T, dir string, c capture) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range c.bodies(t) {
		writeFile(t, filepath.Join(dir, name), body)
	}
	writeFile(t, filepath.Join(dir, manifestFile), mustJSON(t, captureManifest(c.runID)))
	return filepath.Join(dir, manifestFile)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePair writes the Rust capture and a legacy one changed by mutate.
func writePair(t *testing.T, mutate func(*capture)) (legacyManifest, rustManifest string) {
	t.Helper()
	dir := t.TempDir()
	rust := baseCapture(t)
	legacy := rust
	if mutate != nil {
		mutate(&legacy)
	}
	return writeCapture(t, filepath.Join(dir, "legacy"), legacy), writeCapture(t, filepath.Join(dir, "rust"), rust)
}
