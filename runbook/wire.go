package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
)

// stateFormat names the wire form of a State in the shared observation
// feed; a follower refuses any other. v1 was gob, whose decoder sizes maps
// and slices from the input (a 2.9 KB row asked for gigabytes).
const stateFormat = "cockpit-state-json/v2"

// MaxWireBytes bounds a state read from the feed: DecodeState refuses a
// larger one before decoding (EncodeState refuses half of it, see there).
// A real round is a few KB to tens of KB; with maxWireValues and the
// lists' limits, a hostile row costs a follower a few MB at most
// (TestHostileRowsCostAFollowerALine).
const MaxWireBytes = 512 << 10

// maxWireValues bounds the values in a row (commas and openings, counted
// before decoding, in constant memory): a rehearsal round has about 1300.
// With MaxWireBytes alone, 500 KB of "[{},{},…]" or of one key repeated
// would each decode to tens of MB of structs, however bounded each list.
const maxWireValues = 16 << 10

// wireEnvelope is the JSON the database stores. DecodeState reads its
// format before its state, so a row of another version is named as such.
type wireEnvelope struct {
	Format string    `json:"format"`
	State  wireState `json:"state"`
}

// wireState is a State as the feed carries it: explicit fields, every list
// bounded while it is decoded (bounded), maps as bounded lists of entries,
// NaN and ±Inf as strings (wireFloat), errors as their messages, runbook
// items by ID (a follower shows its own runbook's words, not the row's).
// Source is not carried: the follower says where its state came from.
type wireState struct {
	Env         string                               `json:"env"`
	Production  bool                                 `json:"production"`
	Observed    wireObserved                         `json:"observed"`
	Items       bounded[wireItem, itemsLimit]        `json:"items"`
	Incidents   bounded[wireIncident, incidentLimit] `json:"incidents"`
	Snapshot    wireSnapshot                         `json:"snapshot"`
	Parity      wireParity                           `json:"parity"`
	Health      bounded[wireResult, resultsLimit]    `json:"health"`
	Writers     wireWriters                          `json:"writers"`
	Checkpoints wireResult                           `json:"checkpoints"`
	Staging     wireResult                           `json:"staging"`
	History     wireHistory                          `json:"history"`
	At          time.Time                            `json:"at"`
}

// wireObserved is Observed, its NaN cohort kept.
type wireObserved struct {
	RustWriteMode wireResult `json:"rust_write_mode"`
	LegacyFreeze  wireResult `json:"legacy_freeze"`
	WriteTarget   wireResult `json:"write_target"`
	CohortPercent wireFloat  `json:"cohort_percent"`
}

// wireResult is a checks.Result with its evidence (which its own JSON
// leaves out).
type wireResult struct {
	ID         string         `json:"id"`
	Title      string         `json:"title"`
	Verdict    checks.Verdict `json:"verdict"` // by name; an unknown name is refused
	Source     string         `json:"source"`
	Value      string         `json:"value"`
	Rule       string         `json:"rule"`
	Reason     string         `json:"reason"`
	Age        time.Duration  `json:"age"`
	ObservedAt time.Time      `json:"observed_at"`
}

// wireItem is an ItemStatus with its item by ID.
type wireItem struct {
	ID       string                           `json:"id"`
	Verdict  checks.Verdict                   `json:"verdict"`
	Checks   bounded[wireResult, checksLimit] `json:"checks"`
	Awaits   string                           `json:"awaits"`
	Progress StepProgress                     `json:"progress"`
	NA       string                           `json:"not_applicable,omitempty"`
}

// wireIncident is an IncidentStatus with its state by name and the
// timers its own JSON leaves out.
type wireIncident struct {
	ID         string        `json:"id"`
	Runbook    string        `json:"runbook"`
	Title      string        `json:"title"`
	State      string        `json:"state"`
	Value      *wireFloat    `json:"value"` // null exactly when has_value is false
	HasValue   bool          `json:"has_value"`
	Threshold  wireFloat     `json:"threshold"`
	Comparator string        `json:"comparator"`
	For        time.Duration `json:"for"`
	PendingFor time.Duration `json:"pending_for"`
	Unit       string        `json:"unit"`
	Evidence   string        `json:"evidence"`
	At         time.Time     `json:"at"`

	// Insufficient is IncidentStatus.Insufficient.
	Insufficient string `json:"insufficient"`
}

// wireSnapshot is a metrics.Snapshot, its samples map as a list.
type wireSnapshot struct {
	Seq     uint64                            `json:"seq"`
	At      time.Time                         `json:"at"`
	Samples bounded[wireSample, samplesLimit] `json:"samples"`
	// Fallback is metrics.Snapshot.Fallback.
	Fallback string `json:"fallback,omitempty"`
}

// wireSample is a metrics.Sample with its name, its error as a message.
type wireSample struct {
	Name      string                          `json:"name"` // its key in Snapshot.Samples
	Signal    string                          `json:"signal"`
	Query     string                          `json:"query"`
	Value     *wireFloat                      `json:"value"` // null exactly when has_value is false
	HasValue  bool                            `json:"has_value"`
	Series    int                             `json:"series"`
	Volume    *wireFloat                      `json:"volume"` // null exactly when has_volume is false
	HasVolume bool                            `json:"has_volume"`
	History   bounded[wirePoint, pointsLimit] `json:"history"`
	At        time.Time                       `json:"at"`
	DataAt    time.Time                       `json:"data_at"`
	Silent    bool                            `json:"silent"`
	Exporter  wireExporter                    `json:"exporter"`
	Window    time.Duration                   `json:"window"`
	Err       *string                         `json:"err,omitempty"`
	Warnings  bounded[string, stringsLimit]   `json:"warnings"`
}

// wireExporter is a metrics.Exporter, its error as a message.
type wireExporter struct {
	Up        wireFloat `json:"up"`
	HasUp     bool      `json:"has_up"`
	UpAt      time.Time `json:"up_at"`
	SeriesAt  time.Time `json:"series_at"`
	AskSeries bool      `json:"ask_series"`
	At        time.Time `json:"at"`
	Err       *string   `json:"err,omitempty"`
}

// wirePoint is a metrics.Point, NaN kept.
type wirePoint struct {
	T time.Time `json:"t"`
	V wireFloat `json:"v"`
}

// wireParity is a ParityStatus with its result's evidence.
type wireParity struct {
	Result    wireResult `json:"result"`
	Decision  string     `json:"decision"`
	Critical  int        `json:"critical"`
	Warning   int        `json:"warning"`
	Path      string     `json:"path"`
	Generated time.Time  `json:"generated"`
}

// wireWriters and wireProbe carry freeze states by name.
type wireWriters struct {
	Rust   string `json:"rust"`
	Legacy string `json:"legacy"`
}

type wireProbe struct {
	At       time.Time `json:"at"`
	State    string    `json:"state"`
	Evidence string    `json:"evidence"`
	Operator string    `json:"operator"`
	Host     string    `json:"host"`
}

// wireHistory is a History, its maps as lists of entries.
type wireHistory struct {
	Done              bounded[wireDone, historyLimit]     `json:"done"`
	DoneBy            bounded[wireDoneBy, historyLimit]   `json:"done_by"`
	Last              bounded[wireLast, historyLimit]     `json:"last"`
	SubSteps          bounded[wireSubSteps, historyLimit] `json:"sub_steps"`
	ModeChanged       time.Time                           `json:"mode_changed"`
	WriteProbe        time.Time                           `json:"write_probe"`
	RollbackStarted   time.Time                           `json:"rollback_started"`
	Open              bounded[OpenAction, historyLimit]   `json:"open"`
	LegacyFrozenProbe wireProbe                           `json:"legacy_frozen_probe"`
	RustFrozenProbe   wireProbe                           `json:"rust_frozen_probe"`
	Err               *string                             `json:"err,omitempty"`

	ProbeRun JournaledRun `json:"probe_run"`
	RunLost  JournaledRun `json:"run_lost"`
	// RustAuthority and LegacyAuthority are History's.
	RustAuthority   AuthorityMoves `json:"rust_authority"`
	LegacyAuthority AuthorityMoves `json:"legacy_authority"`
}

// wireDone, wireLast and wireSubSteps are History's map entries.
type wireDone struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

// wireDoneBy is who and where a step's Done came from (History.DoneBy).
type wireDoneBy struct {
	Step     string `json:"step"`
	Operator string `json:"operator"`
	Host     string `json:"host"`
	Origin   string `json:"origin"`
}

type wireLast struct {
	Step string  `json:"step"`
	Run  LastRun `json:"run"`
}

type wireSubSteps struct {
	Step   string                        `json:"step"`
	Values bounded[string, stringsLimit] `json:"values"`
}

// EncodeState is s as the shared observation feed publishes it. A state
// its followers would refuse (a list past its limit: more signals than the
// feed carries) is refused here, so the publisher's log says why.
func EncodeState(s State) ([]byte, error) {
	b, err := MarshalState(s)
	if err != nil {
		return nil, err
	}
	// Half the size cap: the database stores jsonb and gives back its text
	// form, a space after every ':' and ',', which followers must still read.
	if err := checkBounds(b, MaxWireBytes/2); err != nil {
		return nil, fmt.Errorf("encoding the observation: %w", err)
	}
	if _, err := DecodeState(b); err != nil {
		return nil, fmt.Errorf("encoding the observation: its followers would refuse it: %w", err)
	}
	return b, nil
}

// MarshalState is s in the wire form without EncodeState's checks (the
// feed's size bound, its followers' decoding, which cost more than the
// encoding): the flight recorder's, every round, whose reader decodes
// with DecodeState and refuses, by name, a round that breaks a bound.
func MarshalState(s State) ([]byte, error) {
	w, err := toWire(s)
	if err != nil {
		return nil, fmt.Errorf("encoding the observation: %w", err)
	}
	b, err := json.Marshal(wireEnvelope{Format: stateFormat, State: w})
	if err != nil {
		return nil, fmt.Errorf("encoding the observation: %w", err)
	}
	return b, nil
}

// DecodeState reads a published observation. It is outside data: a row
// over MaxWireBytes is refused unread, every list stops at its limit while
// it is decoded, and every string is cleaned for the screen before it is
// returned. A row that breaks any rule is an error, never a partial state.
func DecodeState(b []byte) (State, error) {
	state, err := openEnvelope(b)
	if err != nil {
		return State{}, err
	}
	var w wireState
	if err := strictUnmarshal(state, &w); err != nil {
		return State{}, decodeError(err)
	}
	safetext.Strings(&w)
	s, err := fromWire(w)
	if err != nil {
		return State{}, fmt.Errorf("decoding the observation: %w", err)
	}
	return s, nil
}

// openEnvelope is a published observation's state, unread, once its
// size, values and format are checked.
func openEnvelope(b []byte) (json.RawMessage, error) {
	if err := checkBounds(b, MaxWireBytes); err != nil {
		return nil, fmt.Errorf("decoding the observation: %w", err)
	}
	var env struct {
		Format string          `json:"format"`
		State  json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, decodeError(err)
	}
	if env.Format != stateFormat {
		return nil, fmt.Errorf("decoding the observation: format %q, want %q (a cockpit of another version published it)",
			safetext.CleanN(env.Format, 64), stateFormat)
	}
	return env.State, nil
}

// DecodeIncidents reads only a published observation's incidents, under
// DecodeState's bounds and cleaning: for a reader that needs no more
// (replay finding the rounds where an incident changed), about a tenth of
// the work of the whole state.
func DecodeIncidents(b []byte) ([]IncidentStatus, error) {
	state, err := openEnvelope(b)
	if err != nil {
		return nil, err
	}
	var w struct {
		Incidents bounded[wireIncident, incidentLimit] `json:"incidents"`
	}
	if err := json.Unmarshal(state, &w); err != nil {
		return nil, decodeError(err)
	}
	safetext.Strings(&w)
	out := make([]IncidentStatus, len(w.Incidents))
	for i, in := range w.Incidents {
		if out[i], err = in.incident(); err != nil {
			return nil, fmt.Errorf("decoding the observation: %w", err)
		}
	}
	return out, nil
}

// decodeError is a refusal on one short line: the JSON decoder quotes
// what it could not read, which a forger chooses.
func decodeError(err error) error {
	return errors.New("decoding the observation: " + safetext.CleanN(err.Error(), 160))
}

// checkBounds refuses a row over maxBytes or maxWireValues, before any
// decoding.
func checkBounds(b []byte, maxBytes int) error {
	if len(b) > maxBytes {
		return fmt.Errorf("%d bytes, over the feed's %d", len(b), maxBytes)
	}
	if countValues(b) > maxWireValues {
		return fmt.Errorf("more than %d values", maxWireValues)
	}
	return nil
}

// countValues counts the commas, '[' and '{' of b outside strings: about
// one per value, in one pass and no memory.
func countValues(b []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == ',' || c == '[' || c == '{':
			n++
		}
	}
	return n
}

// strictUnmarshal decodes one JSON value into v, refusing unknown fields.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// errString is err's message, nil for no error.
func errString(err error) *string {
	if err == nil {
		return nil
	}
	msg := err.Error()
	return &msg
}

// stringErr is errString's inverse.
func stringErr(msg *string) error {
	if msg == nil {
		return nil
	}
	return errors.New(*msg)
}

func resultToWire(r checks.Result) wireResult {
	e := r.Evidence
	return wireResult{ID: r.ID, Title: r.Title, Verdict: r.Verdict, Source: e.Source, Value: e.Value, Rule: e.Rule,
		Reason: e.Reason, Age: e.Age, ObservedAt: r.ObservedAt}
}

func (w wireResult) result() checks.Result {
	return checks.Result{ID: w.ID, Title: w.Title, Verdict: w.Verdict, ObservedAt: w.ObservedAt,
		Evidence: checks.Evidence{Source: w.Source, Value: w.Value, Rule: w.Rule, Reason: w.Reason, Age: w.Age}}
}

func probeToWire(p JournaledProbe) wireProbe {
	return wireProbe{At: p.At, State: p.State.String(), Evidence: p.Evidence, Operator: p.Operator, Host: p.Host}
}

func (w wireProbe) probe() JournaledProbe {
	return JournaledProbe{At: w.At, State: parseFreezeState(w.State), Evidence: w.Evidence, Operator: w.Operator, Host: w.Host}
}

// mapList converts a list element by element.
func mapList[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}
