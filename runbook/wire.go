package runbook

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/openagents/cockpit/internal/safetext"
)

// stateFormat names the wire form of a State in the shared observation
// feed; a follower refuses any other.
const stateFormat = "cockpit-state-gob/v1"

// wireState is a State as the feed carries it: gob keeps what JSON cannot
// (NaN for an unknown cohort, a ratio of nothing), and errors travel as
// their messages.
type wireState struct {
	State      State
	SampleErrs map[string]string
	HistoryErr string
}

// wireEnvelope is the JSON the database stores.
type wireEnvelope struct {
	Format string `json:"format"`
	State  []byte `json:"state"` // the gob, base64 in JSON
}

// EncodeState is s as the shared observation feed publishes it.
func EncodeState(s State) ([]byte, error) {
	w := wireState{State: s, SampleErrs: map[string]string{}}
	w.State.Snapshot.Samples = maps.Clone(s.Snapshot.Samples)
	for name, smp := range w.State.Snapshot.Samples {
		if smp.Err != nil {
			w.SampleErrs[name] = smp.Err.Error()
			smp.Err = nil
			w.State.Snapshot.Samples[name] = smp
		}
	}
	if s.History.Err != nil {
		w.HistoryErr = s.History.Err.Error()
		w.State.History.Err = nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(w); err != nil {
		return nil, fmt.Errorf("encoding the observation: %w", err)
	}
	return json.Marshal(wireEnvelope{Format: stateFormat, State: buf.Bytes()})
}

// DecodeState reads a published observation. It is outside data: every
// string is cleaned for the screen before it is returned.
func DecodeState(b []byte) (State, error) {
	var env wireEnvelope
	if err := json.Unmarshal(b, &env); err != nil {
		return State{}, fmt.Errorf("decoding the observation: %w", err)
	}
	if env.Format != stateFormat {
		return State{}, fmt.Errorf("decoding the observation: format %q, want %q (a cockpit of another version published it)",
			safetext.CleanN(env.Format, 64), stateFormat)
	}
	var w wireState
	if err := gob.NewDecoder(bytes.NewReader(env.State)).Decode(&w); err != nil {
		return State{}, fmt.Errorf("decoding the observation: %w", err)
	}
	safetext.Strings(&w)
	for name, msg := range w.SampleErrs {
		if smp, ok := w.State.Snapshot.Samples[name]; ok {
			smp.Err = errors.New(msg)
			w.State.Snapshot.Samples[name] = smp
		}
	}
	if w.HistoryErr != "" {
		w.State.History.Err = errors.New(w.HistoryErr)
	}
	return w.State, nil
}
