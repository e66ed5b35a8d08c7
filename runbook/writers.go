package runbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
)

// Writers is which runtimes accept writes, as the safe frozen probes (or
// /healthz's writer flag) tell: the screen dims a frozen runtime's error
// rate, whose refusals are what it must answer.
type Writers struct {
	Rust, Legacy checks.FreezeState
}

// writerState is which runtimes accept writes this round, from the safe
// frozen probes (and /healthz's writer flag when the Rust probe cannot
// tell), and which action, if any, is moving them.
type writerState struct {
	rust, legacy checks.FreezeState
	// routed is where writes go, as observed (the write share): "rust",
	// "legacy", "split", or "" when it cannot be told.
	routed  string
	running []OpenAction // live actions: a transition is expected
	source  string
	// rustModeSet: the journal shows the cockpit changing Rust's write mode
	// (S1, R1…); false, Rust's mode is its deployment's own.
	rustModeSet bool
	// cohort is production's cohort phase, when inCohort (set before the
	// check is judged, from the other criteria).
	cohort   CohortPhase
	inCohort bool
}

// writersOf reads the writers from this round's observations and the
// observed write target. An action is running while its process lives
// (same host) or journals (elsewhere).
func (r *round) writersOf(routed string) writerState {
	o := r.o
	w := writerState{rust: o.rustFreeze, legacy: o.legacyFreeze, routed: routed,
		source:      "safe frozen probes (" + o.rustFrozen.Evidence.Source + ", " + o.legacyFrozen.Evidence.Source + ")",
		rustModeSet: !o.history.ModeChanged.IsZero()}
	if w.rust == checks.FreezeUnknown && o.rustHealth.Verdict != checks.Unknown && o.rust.Mode != "" {
		w.rust = checks.Frozen
		if o.rust.WriterActive {
			w.rust = checks.Accepting
		}
	}
	for _, a := range o.history.Open {
		if a.Alive(o.host, o.at, r.ev.actionQuiet) {
			w.running = append(w.running, a)
		}
	}
	return w
}

// authorities are the runtimes whose write errors users meet, so the ones
// I2 and V4 judge: those writes are routed to, as observed, among those
// not known frozen (a frozen runtime's refusals are what it must answer).
// Accepting writes is not enough: after a kill between S1's first two
// sub-steps Rust accepts them but none reaches it, and its error rate,
// with no traffic, can tell nothing. When the route cannot be told, or
// reaches only frozen runtimes (a rollback freezes Rust before it routes
// writes away), every runtime not known frozen is judged. basis says
// which rule chose, for the evidence.
func (w writerState) authorities() (rust, legacy bool, basis string) {
	rust = (w.routed == "rust" || w.routed == "split") && w.rust != checks.Frozen
	legacy = (w.routed == "legacy" || w.routed == "split") && w.legacy != checks.Frozen
	if rust || legacy {
		return rust, legacy, "writes routed to " + w.routed
	}
	rust, legacy = w.rust != checks.Frozen, w.legacy != checks.Frozen
	if w.routed == "" {
		return rust, legacy, "route unknown: every runtime not frozen"
	}
	return rust, legacy, "writes routed to frozen " + w.routed + ": every runtime not frozen"
}

// WritersID names the exactly-one-writer check among the incidents.
const WritersID = "exactly_one_writer"

// writersRule is the standing exactly-one-writer check: both runtimes
// accepting writes is split-brain authority (two histories of the same
// runs); neither is an outage. Either is expected only while a step moves
// the authority, so outside a running step both fire at once, and neither
// after neither_for (the rollback passes through it between R1 and R2).
type writersRule struct {
	neitherFor   time.Duration
	neitherSince time.Time
}

func (w *writersRule) judge(ws writerState, now time.Time) IncidentStatus {
	st := IncidentStatus{ID: WritersID, Runbook: "W", Title: "exactly one writer", At: now,
		Comparator: "=", Threshold: 1, Unit: "count"}
	rule := fmt.Sprintf("exactly one accepting; neither for < %s", checks.ShortDuration(w.neitherFor))
	value := fmt.Sprintf("rust %s, legacy %s", ws.rust, ws.legacy)
	if ws.rust != checks.FreezeUnknown && ws.legacy != checks.FreezeUnknown {
		st.HasValue = true
		st.Value = float64(boolInt(ws.rust == checks.Accepting) + boolInt(ws.legacy == checks.Accepting))
	}
	neither := ws.rust == checks.Frozen && ws.legacy == checks.Frozen
	if !neither {
		w.neitherSince = time.Time{}
	} else if w.neitherSince.IsZero() {
		w.neitherSince = now
	}
	running := ""
	if len(ws.running) > 0 {
		names := make([]string, len(ws.running))
		for i, a := range ws.running {
			names[i] = fmt.Sprintf("%s by %s since %s", a.Step, a.Operator, a.Approved.UTC().Format("15:04:05Z"))
		}
		running = "running: " + strings.Join(names, ", ")
	}
	var verdict, advice string
	switch {
	case !st.HasValue:
		st.State, verdict = IncidentUnknown, "unknown (a runtime's write state cannot be told)"
	case ws.inCohort && st.Value == 2:
		st.State, verdict, advice = ws.cohort.verdict()
	case running != "" && st.Value != 1:
		st.State, verdict = IncidentOK, "expected while "+running
	case st.Value == 2 && ws.routed == "legacy" && !ws.rustModeSet:
		// Rust's mode unset is rust_active (the code's default): before the
		// cockpit ever sets it, Rust accepts writes none is routed to. No
		// second history. A mode the cockpit set (S1 killed mid-way) fires.
		st.State, verdict = IncidentOK, "rust accepts writes, none routed to it (its mode is the deployment's own: the cockpit never set it)"
	case st.Value == 2:
		st.State, verdict = IncidentFiring, "BOTH runtimes accept writes"
		advice = "finish the step that moves the authority (S1/S4) or roll back (r)"
	case neither && now.Sub(w.neitherSince) >= w.neitherFor:
		st.State, verdict = IncidentFiring, "NEITHER runtime accepts writes for "+checks.ShortDuration(now.Sub(w.neitherSince))
		advice = "writes are refused: finish the rollback (R2 unfreezes legacy) or the step"
	case neither:
		st.State, verdict = IncidentPending, "neither runtime accepts writes"
		st.PendingFor = now.Sub(w.neitherSince)
		st.For = w.neitherFor
	default:
		st.State, verdict = IncidentOK, "one writer"
	}
	st.Evidence = fmt.Sprintf("%s → %s → %s → %s", ws.source, value, rule, verdict)
	if advice != "" {
		st.Evidence += ": " + advice
	}
	return st
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
