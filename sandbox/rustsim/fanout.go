package rustsim

import "sort"

// fanoutDriver is the only driver the simulation has.
const fanoutDriver = "memory"

// topicWindow is one topic's retained message window in the fanout hub.
type topicWindow struct {
	Topic           string `json:"topic"`
	OldestSequence  uint64 `json:"oldest_sequence"`
	HeadSequence    uint64 `json:"head_sequence"`
	QueueDepth      int    `json:"queue_depth"`
	DroppedMessages uint64 `json:"dropped_messages"`
}

// fanoutCapacity is the per-topic queue the runtime keeps by default.
const fanoutCapacity = 1024

// fanout tracks what writes published, in memory: a restart empties it.
type fanout struct{ topics map[string]*topicWindow }

func newFanout() *fanout { return &fanout{topics: map[string]*topicWindow{}} }

func (f *fanout) publish(topic string, seq uint64) {
	w, ok := f.topics[topic]
	if !ok {
		w = &topicWindow{Topic: topic, OldestSequence: seq}
		f.topics[topic] = w
	}
	w.HeadSequence = seq
	if w.QueueDepth == fanoutCapacity {
		w.DroppedMessages++
		w.OldestSequence++
		return
	}
	w.QueueDepth++
}

// windows returns up to limit topics, deepest queues first.
func (f *fanout) windows(limit int) []topicWindow {
	out := make([]topicWindow, 0, len(f.topics))
	for _, w := range f.topics {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].QueueDepth != out[j].QueueDepth {
			return out[i].QueueDepth > out[j].QueueDepth
		}
		return out[i].Topic < out[j].Topic
	})
	return out[:min(limit, len(out))]
}
