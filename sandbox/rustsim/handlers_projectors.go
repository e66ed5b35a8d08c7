package rustsim

import (
	"net/http"
	"strings"
)

// objectReply answers {name: m[key]}, or 404 not_found when key is
// absent, as the projector read endpoints do.
func objectReply[T any](m map[string]T, key, name string) reply {
	v, ok := m[key]
	if !ok {
		return errNotFound().reply()
	}
	return jsonReply(http.StatusOK, map[string]T{name: v})
}

// getRunCheckpoint serves the run topic's checkpoint, as the checkpoint
// regression fault makes it look (see servedCheckpoint).
func (r *Runtime) getRunCheckpoint(w http.ResponseWriter, _ *http.Request, p params) {
	runID, rj := pathUUID(p, "run_id")
	r.serve(w, rj, func() reply {
		r.syncProjection()
		cp, ok := r.servedCheckpoint(runTopic(runID))
		if !ok {
			return errNotFound().reply()
		}
		return jsonReply(http.StatusOK, map[string]checkpoint{"checkpoint": cp})
	})
}

func (r *Runtime) getRunSummary(w http.ResponseWriter, _ *http.Request, p params) {
	runID, rj := pathUUID(p, "run_id")
	r.serve(w, rj, func() reply {
		r.syncProjection()
		return objectReply(r.proj.summaries, runID, "summary")
	})
}

// getDrift answers 404 not_found when a topic has no drift: that is the
// healthy answer, and also what an unknown topic gets.
func (r *Runtime) getDrift(w http.ResponseWriter, req *http.Request, _ params) {
	q := req.URL.Query()
	if !q.Has("topic") {
		queryRejection("missing field `topic`").write(w)
		return
	}
	topic := q.Get("topic")
	r.locked(w, func() reply {
		if strings.TrimSpace(topic) == "" {
			return errInvalid("topic is required for drift lookup").reply()
		}
		r.syncProjection()
		return objectReply(r.proj.drift, topic, "drift")
	})
}

// deliveryMetrics is the Khala poll telemetry; the simulation serves no
// polls, so it stays at zero.
type deliveryMetrics struct {
	TotalPolls             uint64   `json:"total_polls"`
	ThrottledPolls         uint64   `json:"throttled_polls"`
	LimitedPolls           uint64   `json:"limited_polls"`
	FairnessLimitedPolls   uint64   `json:"fairness_limited_polls"`
	SlowConsumerEvictions  uint64   `json:"slow_consumer_evictions"`
	ServedMessages         uint64   `json:"served_messages"`
	ActiveConsumers        int      `json:"active_consumers"`
	RecentDisconnectCauses []string `json:"recent_disconnect_causes"`
}

const defaultTopicLimit = 20

func (r *Runtime) getFanoutMetrics(w http.ResponseWriter, req *http.Request, _ params) {
	limit, rj := queryUint(req.URL.Query(), "topic_limit")
	n := defaultTopicLimit
	if limit != nil {
		n = int(min(*limit, 1<<20))
	}
	r.serve(w, rj, func() reply {
		return jsonReply(http.StatusOK, struct {
			Driver          string          `json:"driver"`
			DeliveryMetrics deliveryMetrics `json:"delivery_metrics"`
			TopicWindows    []topicWindow   `json:"topic_windows"`
		}{fanoutDriver, deliveryMetrics{RecentDisconnectCauses: []string{}}, r.proc.fanout.windows(n)})
	})
}

func (r *Runtime) getFanoutHooks(w http.ResponseWriter, _ *http.Request, _ params) {
	r.locked(w, func() reply {
		return jsonReply(http.StatusOK, struct {
			Driver string `json:"driver"`
			Hooks  []any  `json:"hooks"`
		}{fanoutDriver, []any{}})
	})
}

// getKhalaMessages is the one authenticated route. The simulation issues no
// sync tokens, so every caller is refused as the runtime refuses a bad one.
func (r *Runtime) getKhalaMessages(w http.ResponseWriter, req *http.Request, _ params) {
	msg := "invalid sync token"
	if req.Header.Get("Authorization") == "" {
		msg = "missing authorization header"
	}
	(&apiError{status: http.StatusUnauthorized, code: "unauthorized", message: msg}).reply().write(w)
}
