package rustsim

import "time"

type checkpoint struct {
	Topic         string     `json:"topic"`
	LastSeq       uint64     `json:"last_seq"`
	LastEventType string     `json:"last_event_type"`
	UpdatedAt     chronoTime `json:"updated_at"`
}

type runSummary struct {
	RunID          string     `json:"run_id"`
	Status         string     `json:"status"`
	LastSeq        uint64     `json:"last_seq"`
	EventCount     uint64     `json:"event_count"`
	ProjectionHash string     `json:"projection_hash"`
	UpdatedAt      chronoTime `json:"updated_at"`
}

type driftReport struct {
	Topic           string     `json:"topic"`
	ExpectedNextSeq uint64     `json:"expected_next_seq"`
	LastSeenSeq     uint64     `json:"last_seen_seq"`
	IncomingSeq     uint64     `json:"incoming_seq"`
	Reason          string     `json:"reason"`
	DetectedAt      chronoTime `json:"detected_at"`
}

// projection is the projector's state. It stands for the runtime's
// projection-state file, so it outlives a simulated restart while runs do
// not. Drift reports are never cleared, as in the runtime.
type projection struct {
	checkpoints map[string]checkpoint
	summaries   map[string]runSummary
	drift       map[string]driftReport
	projected   uint64 // events projected in total: the checkpoint position
}

func newProjection() *projection {
	return &projection{
		checkpoints: map[string]checkpoint{},
		summaries:   map[string]runSummary{},
		drift:       map[string]driftReport{},
	}
}

func runTopic(runID string) string       { return "run:" + runID + ":events" }
func workerTopic(workerID string) string { return "worker:" + workerID + ":lifecycle" }

// applyRunEvent projects one run event. Under the drift fault it records a
// sequence gap for the topic and reports true; under the checkpoint fault
// the run's checkpoint moves backwards instead of forwards.
func (p *projection) applyRunEvent(runID string, ev runEvent, f Faults, now time.Time) (drifted bool) {
	topic := runTopic(runID)
	if f.Drift {
		p.drift[topic] = driftReport{
			Topic: topic, ExpectedNextSeq: ev.Seq, LastSeenSeq: ev.Seq - 1, IncomingSeq: ev.Seq + 1,
			Reason: "sequence_gap", DetectedAt: chronoTime(now),
		}
	}
	lastSeq := ev.Seq
	if prev, ok := p.checkpoints[topic]; ok && f.CheckpointRegression {
		lastSeq = prev.LastSeq - min(prev.LastSeq, 1)
	}
	p.checkpoints[topic] = checkpoint{Topic: topic, LastSeq: lastSeq, LastEventType: ev.EventType, UpdatedAt: chronoTime(now)}

	s, ok := p.summaries[runID]
	if !ok {
		s = runSummary{RunID: runID, Status: "created"}
	}
	s.LastSeq = ev.Seq
	s.EventCount++
	s.Status = projectRunStatus(s.Status, ev)
	s.UpdatedAt = chronoTime(now)
	s.ProjectionHash = sha256Prefixed(marshal(map[string]any{
		"run_id": s.RunID, "status": s.Status, "last_seq": s.LastSeq, "event_count": s.EventCount,
	}))
	p.summaries[runID] = s
	p.projected++
	return f.Drift
}

// applyWorkerEvent moves a worker lifecycle topic's checkpoint.
func (p *projection) applyWorkerEvent(workerID string, seq uint64, eventType string, now time.Time) {
	topic := workerTopic(workerID)
	p.checkpoints[topic] = checkpoint{Topic: topic, LastSeq: seq, LastEventType: eventType, UpdatedAt: chronoTime(now)}
	p.projected++
}

// projectRunStatus copies run.finished's payload.status verbatim (so a
// summary can say "cancelled" while the run says "canceled").
func projectRunStatus(current string, ev runEvent) string {
	switch ev.EventType {
	case "run.started":
		return "running"
	case "run.cancel_requested":
		return "canceling"
	case "run.finished":
		if obj, ok := ev.Payload.(map[string]any); ok {
			if s, ok := obj["status"].(string); ok {
				return s
			}
		}
	}
	return current
}
