package rustsim

import (
	"fmt"
	"strings"
	"time"
)

// runEvent and runRecord serialise field-for-field like the runtime's
// RunEvent and RuntimeRun (serde keeps declaration order).
type runEvent struct {
	Seq            uint64     `json:"seq"`
	EventType      string     `json:"event_type"`
	Payload        any        `json:"payload"`
	IdempotencyKey *string    `json:"idempotency_key"`
	RecordedAt     chronoTime `json:"recorded_at"`
}

type runRecord struct {
	ID        string     `json:"id"`
	WorkerID  *string    `json:"worker_id"`
	Status    string     `json:"status"`
	Metadata  any        `json:"metadata"`
	Events    []runEvent `json:"events"`
	CreatedAt chronoTime `json:"created_at"`
	UpdatedAt chronoTime `json:"updated_at"`
}

func newRun(id string, workerID *string, metadata any, now time.Time) *runRecord {
	return &runRecord{
		ID:        id,
		WorkerID:  workerID,
		Status:    "running",
		Metadata:  metadata,
		Events:    []runEvent{{Seq: 1, EventType: "run.started", Payload: map[string]any{"source": "runtime"}, RecordedAt: chronoTime(now)}},
		CreatedAt: chronoTime(now),
		UpdatedAt: chronoTime(now),
	}
}

// appendRequest is the body of POST /internal/v1/runs/:id/events.
type appendRequest struct {
	EventType           string
	Payload             any
	IdempotencyKey      *string
	ExpectedPreviousSeq *uint64
}

// appendPlan is what an append would do, decided before anything changes so
// that an injected fault can refuse an otherwise-successful write cleanly.
type appendPlan struct {
	duplicate bool
	event     runEvent
	status    string
}

// planAppend applies the runtime's checks in its order: empty event type,
// unknown run (checked by the caller), run.finished status, transition,
// duplicate idempotency key, then expected_previous_seq.
func planAppend(run *runRecord, req appendRequest, now time.Time) (appendPlan, *apiError) {
	transition, apiErr := transitionFor(req.EventType, req.Payload)
	if apiErr != nil {
		return appendPlan{}, apiErr
	}
	next := run.Status
	if transition != "" {
		var ok bool
		if next, ok = applyTransition(run.Status, transition); !ok {
			return appendPlan{}, errInvalid(fmt.Sprintf("invalid run transition: %s -> %s", debugStatus(run.Status), transition))
		}
	}
	key := req.IdempotencyKey
	if key != nil && strings.TrimSpace(*key) == "" {
		key = nil
	}
	if key != nil {
		for _, ev := range run.Events {
			if ev.IdempotencyKey != nil && strings.TrimSpace(*ev.IdempotencyKey) == strings.TrimSpace(*key) {
				return appendPlan{duplicate: true}, nil
			}
		}
	}
	last := run.Events[len(run.Events)-1].Seq
	if req.ExpectedPreviousSeq != nil && *req.ExpectedPreviousSeq != last {
		return appendPlan{}, errConflict(fmt.Sprintf("expected_previous_seq %d does not match actual previous seq %d", *req.ExpectedPreviousSeq, last))
	}
	return appendPlan{
		event:  runEvent{Seq: last + 1, EventType: req.EventType, Payload: req.Payload, IdempotencyKey: key, RecordedAt: chronoTime(now)},
		status: next,
	}, nil
}

func (run *runRecord) commit(p appendPlan) {
	run.Events = append(run.Events, p.event)
	run.Status = p.status
	run.UpdatedAt = p.event.RecordedAt
}

// transitionFor maps an event to the run state machine's transition name
// (its Rust Debug name, which appears in error messages); "" is none.
func transitionFor(eventType string, payload any) (string, *apiError) {
	switch eventType {
	case "run.started":
		return "Start", nil
	case "run.cancel_requested":
		return "RequestCancel", nil
	case "run.finished":
		obj, _ := payload.(map[string]any)
		status, ok := obj["status"].(string)
		if !ok {
			return "", errInvalid("run.finished requires payload.status")
		}
		switch status {
		case "succeeded":
			return "FinishSucceeded", nil
		case "failed":
			return "FinishFailed", nil
		case "canceled", "cancelled":
			return "FinishCanceled", nil
		}
		return "", errInvalid("invalid run.finished payload.status: " + status)
	}
	return "", nil
}

// transitions is the runtime's allowed matrix, idempotent repeats included.
var transitions = map[[2]string]string{
	{"created", "Start"}: "running", {"running", "Start"}: "running",
	{"created", "RequestCancel"}: "canceling", {"running", "RequestCancel"}: "canceling", {"canceling", "RequestCancel"}: "canceling",
	{"created", "FinishSucceeded"}: "succeeded", {"running", "FinishSucceeded"}: "succeeded", {"succeeded", "FinishSucceeded"}: "succeeded",
	{"created", "FinishFailed"}: "failed", {"running", "FinishFailed"}: "failed", {"canceling", "FinishFailed"}: "failed", {"failed", "FinishFailed"}: "failed",
	{"created", "FinishCanceled"}: "canceled", {"running", "FinishCanceled"}: "canceled", {"canceling", "FinishCanceled"}: "canceled", {"canceled", "FinishCanceled"}: "canceled",
}

func applyTransition(status, transition string) (string, bool) {
	next, ok := transitions[[2]string{status, transition}]
	return next, ok
}

// debugStatus is RunStatus's Rust Debug rendering, e.g. "Succeeded".
func debugStatus(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
