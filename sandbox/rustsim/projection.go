package rustsim

import (
	"strings"
	"time"
)

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

// projection is the projector's state: it stands for the runtime's
// projection-state file. Drift reports are never cleared, as in the runtime.
//
// Across a simulated restart (Restart, i.e. every mode change) runs and
// workers are always lost: they live in memory only. The projection
// survives when the state file does, which is the simulation's default;
// a process started with RUSTSIM_PROJECTION_STATE=ephemeral stands for a
// state file on an instance's own disk (e.g. Cloud Run's in-memory file
// system), so that process starts with no checkpoints, run summaries or
// drift reports: every earlier run's checkpoint and summary then 404, as a
// "checkpoint file lost on restart" looks from outside. The loss is applied
// lazily, by syncProjection, before the projector endpoints answer.
type projection struct {
	checkpoints map[string]checkpoint
	summaries   map[string]runSummary
	drift       map[string]driftReport

	// served is the last_seq last answered per topic by the checkpoint
	// endpoint while the checkpoint-regression fault was on.
	served map[string]uint64
	// owner is the process the state was last synchronised with.
	owner *process
}

func newProjection() *projection {
	return &projection{
		checkpoints: map[string]checkpoint{},
		summaries:   map[string]runSummary{},
		drift:       map[string]driftReport{},
		served:      map[string]uint64{},
	}
}

// EnvProjectionState is the simulation-only variable that says whether the
// projection-state file survives a restart: "ephemeral" loses it; anything
// else (or unset) keeps it. The real runtime has no such variable: there it
// depends on where the file is stored.
const EnvProjectionState = "RUSTSIM_PROJECTION_STATE"

// projectionEphemeral reports whether a process started with env loses the
// projection state of the processes before it.
func projectionEphemeral(env map[string]string) bool {
	return strings.EqualFold(strings.TrimSpace(env[EnvProjectionState]), "ephemeral")
}

// syncProjection applies a restart to the projection: when the running
// process is not the one the state was last used with and it started
// without the state file, everything projected for runs and workers of
// earlier processes is dropped (the current process's own, projected
// since its start, stays: runs are never deleted from a process, so an
// entry whose run or worker the process does not hold is an earlier
// process's). Idempotent. Caller holds r.mu.
func (r *Runtime) syncProjection() {
	p := r.proj
	if p.owner == r.proc {
		return
	}
	p.owner = r.proc
	if !projectionEphemeral(r.proc.env) {
		return
	}
	current := func(topic string) bool {
		if id, ok := topicID(topic, "run:", ":events"); ok {
			return r.proc.runs[id] != nil
		}
		if id, ok := topicID(topic, "worker:", ":lifecycle"); ok {
			return r.proc.workers[id] != nil
		}
		return false
	}
	for topic := range p.checkpoints {
		if !current(topic) {
			delete(p.checkpoints, topic)
			delete(p.served, topic)
		}
	}
	for topic := range p.drift {
		if !current(topic) {
			delete(p.drift, topic)
		}
	}
	for runID := range p.summaries {
		if r.proc.runs[runID] == nil {
			delete(p.summaries, runID)
		}
	}
}

// topicID cuts the id out of a topic named prefix+id+suffix.
func topicID(topic, prefix, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, suffix)
}

// servedCheckpoint is the checkpoint the endpoint answers for topic. Under
// the checkpoint-regression fault every read answers a last_seq one below
// the last one served (or below the true one, if lower), down to 0, as a
// projector whose position goes backwards looks from outside; without the
// fault the true checkpoint is served again. Caller holds r.mu.
func (r *Runtime) servedCheckpoint(topic string) (checkpoint, bool) {
	p := r.proj
	cp, ok := p.checkpoints[topic]
	if !ok {
		return checkpoint{}, false
	}
	if !r.faults.CheckpointRegression {
		delete(p.served, topic)
		return cp, true
	}
	last, ok := p.served[topic]
	if !ok || last > cp.LastSeq {
		last = cp.LastSeq
	}
	cp.LastSeq = last - min(last, 1)
	p.served[topic] = cp.LastSeq
	return cp, true
}

func runTopic(runID string) string       { return "run:" + runID + ":events" }
func workerTopic(workerID string) string { return "worker:" + workerID + ":lifecycle" }

// applyRunEvent projects one run event. Under the drift fault it records a
// sequence gap for the topic. The checkpoint always moves
// forwards here: the regression fault acts on what the endpoint serves
// (servedCheckpoint).
func (p *projection) applyRunEvent(runID string, ev runEvent, f Faults, now time.Time) {
	topic := runTopic(runID)
	if f.Drift {
		p.drift[topic] = driftReport{
			Topic: topic, ExpectedNextSeq: ev.Seq, LastSeenSeq: ev.Seq - 1, IncomingSeq: ev.Seq + 1,
			Reason: "sequence_gap", DetectedAt: chronoTime(now),
		}
	}
	p.checkpoints[topic] = checkpoint{Topic: topic, LastSeq: ev.Seq, LastEventType: ev.EventType, UpdatedAt: chronoTime(now)}

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
}

// applyWorkerEvent moves a worker lifecycle topic's checkpoint.
func (p *projection) applyWorkerEvent(workerID string, seq uint64, eventType string, now time.Time) {
	topic := workerTopic(workerID)
	p.checkpoints[topic] = checkpoint{Topic: topic, LastSeq: seq, LastEventType: eventType, UpdatedAt: chronoTime(now)}
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
