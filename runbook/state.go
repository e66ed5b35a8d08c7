package runbook

import (
	"encoding/json"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// State is everything the screen and scripted mode show, evaluated from one
// round of observations. It is observed, never remembered: rebuilding it
// from the systems gives the same answer.
type State struct {
	Env        string
	Production bool
	Observed   Observed
	Items      []ItemStatus     // in runbook order: P, S, V, R
	Incidents  []IncidentStatus // I1–I3, one per configured criterion
	Snapshot   metrics.Snapshot
	Parity     ParityStatus
	Health     []checks.Result // rust health, rust readiness, legacy health
	// Writers is which runtimes accept writes.
	Writers Writers
	// Checkpoints is the projector watch's checkpoint-regression verdict
	// for the runs the cockpit wrote or observed (from the Rust endpoints).
	Checkpoints checks.Result
	// Staging is, in a production environment, whether a staging
	// environment's journal shows the runbook done first (S4's gate).
	Staging checks.Result
	// History is what this environment's journal says was done.
	History History
	At      time.Time
	// Source says where this state came from when it is not this
	// process's own observation (watch --follow: the shared feed and its
	// age, or why it fell back to observing itself); "" otherwise.
	Source string
}

// Observed is where the cutover stands, read from the systems themselves.
type Observed struct {
	RustWriteMode checks.Result // Evidence.Value is the mode from /healthz
	LegacyFreeze  checks.Result // Evidence.Value is "frozen" | "not frozen"
	WriteTarget   checks.Result // Evidence.Value is "rust" | "legacy" | "split"
	CohortPercent float64       // share of writes on rust, 0–100; NaN when unknown
}

// ItemStatus is one runbook item with its live verdict.
type ItemStatus struct {
	Item    *Item
	Verdict checks.Verdict
	Checks  []checks.Result
	// Awaits names the cutover step a verification item waits for (S1 in
	// staging, S4 in production) while that step is neither journaled done
	// nor observed in place, or, for V1 after it, the write probe (S2) no
	// probe has run since the last mode change: its verdict is still
	// computed (truth), but a check that cannot hold yet is not a failure
	// (progress).
	Awaits string
	// NotApplicable says why a verification item does not apply now
	// ("rolled back": the cutover it verifies was undone); "" while it
	// does. Like Awaits, its verdict is still computed and shown in the
	// evidence, never red in the list.
	NotApplicable string
	// Progress is, for a step (S1–S4) or a rollback item (R1–R4), where the
	// journal says it stands — the verdict above is whether its target
	// state is observed, which is a different question.
	Progress StepProgress
}

// StepProgress is an action's progress from the journal.
type StepProgress struct {
	State    ProgressState
	At       time.Time // when it finished, or started while running
	Operator string
	Detail   string // the outcome's message, or the running sub-step
}

// ProgressState is where an action stands in the journal.
type ProgressState string

// Progress states. NotRun is neutral: not done yet is not a failure.
const (
	NotRun      ProgressState = "not run"
	Running     ProgressState = "running"
	Done        ProgressState = "done"
	Failed      ProgressState = "failed"
	Interrupted ProgressState = "interrupted"
)

// ParityStatus is the newest shadow-parity report as the cockpit read it.
type ParityStatus struct {
	Result    checks.Result // P1-style gate verdict with evidence
	Decision  string        // allow | block | "" when unknown
	Critical  int
	Warning   int
	Path      string
	Generated time.Time
}

// IncidentState is where an incident criterion stands.
type IncidentState int

// Incident states; Unknown never counts as OK.
const (
	IncidentUnknown IncidentState = iota
	IncidentOK
	IncidentPending
	IncidentFiring
	// IncidentNotJudged is a criterion whose source does not apply (a
	// signal declared required: false, or legacy projection metrics once
	// legacy takes no writes): shown grey with its reason, never ok, and it
	// holds no gate.
	IncidentNotJudged
)

func (s IncidentState) String() string {
	return [...]string{"unknown", "ok", "pending", "firing", "n/a"}[s]
}

// Verdict puts an incident criterion on the verdict scale: a firing
// incident fails, a pending or unknown one holds.
func (s IncidentState) Verdict() checks.Verdict {
	switch s {
	case IncidentOK:
		return checks.Pass
	case IncidentPending:
		return checks.Pending
	case IncidentFiring:
		return checks.Fail
	case IncidentNotJudged:
		return checks.NotJudged
	default:
		return checks.Unknown
	}
}

// MarshalText names the state in JSON.
func (s IncidentState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// IncidentStatus is one incident criterion with its live value and timers.
type IncidentStatus struct {
	ID         string        `json:"id"`      // config name, e.g. write_error_spike
	Runbook    string        `json:"runbook"` // I1, I2, I3
	Title      string        `json:"title"`
	State      IncidentState `json:"state"`
	Value      float64       `json:"value"`
	HasValue   bool          `json:"has_value"`
	Threshold  float64       `json:"threshold"`
	Comparator string        `json:"comparator"` // ">" or "<"
	For        time.Duration `json:"-"`
	PendingFor time.Duration `json:"-"` // how long the condition has held
	Unit       string        `json:"unit"`
	Evidence   string        `json:"evidence"`
	// At is when the signal behind the verdict was evaluated (zero: never).
	At time.Time `json:"observed_at"`
	// Insufficient is, for an UNKNOWN criterion, why it has too little
	// traffic to judge ("insufficient traffic (3 of 20 requests)"): a quiet
	// write path, not a blind cockpit, so a gate may let a step go on
	// where something else judges the write path (low_traffic).
	Insufficient string `json:"insufficient,omitempty"`
}

// MarshalJSON writes value as null when there is none, so value and
// has_value never disagree (a firing criterion judged from a report, not
// a number, reads "value": null, "has_value": false, never a 0 that
// looks measured).
func (s IncidentStatus) MarshalJSON() ([]byte, error) {
	type plain IncidentStatus
	var value *float64
	if s.HasValue {
		value = &s.Value
	}
	return json.Marshal(struct {
		plain
		Value *float64 `json:"value"`
	}{plain(s), value})
}
