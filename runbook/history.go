package runbook

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
)

// History is what one environment's journal says was done: progress, not
// truth. The runbook's order (S2 after S1's mode change, S3 after S2,
// production after staging) is enforced on it, and R4 is judged against the
// rollback it belongs to; where the cutover stands is still observed.
type History struct {
	// Done is when each step or check item last finished OK (S1…S4, V1…V4,
	// P1…P4, rollback), from its own final outcome only: a verdict another
	// process observed is not a step done. The newest time wins, whatever
	// order records arrive in.
	Done map[string]time.Time
	// DoneBy is who and where each Done came from.
	DoneBy map[string]Actor
	// Last is each action's last run as its final outcome says: who, when,
	// whether it worked (S1…S4, V1, rollback); and each R-step's (R1…R4)
	// newest result inside a rollback, under its own ID, so each R-item
	// shows its own progress.
	Last map[string]LastRun
	// SubSteps are the sub-steps of each item's last OK run, by name
	// (set_rust_write_mode=rust_active…): the values it set.
	SubSteps map[string][]string
	// ModeChanged is the last time an actuator call to change the Rust
	// write mode was journaled: every change restarts the runtime, and its
	// runs live in memory only, so a write probe before it proves nothing.
	ModeChanged time.Time
	// WriteProbe is the last write probe that passed (S2 or V1).
	WriteProbe time.Time
	// RustAuthority and LegacyAuthority are when each runtime last gained
	// and lost the write authority as journaled.
	RustAuthority, LegacyAuthority AuthorityMoves
	// RollbackStarted is the last rollback's approval.
	RollbackStarted time.Time
	// Open are the actions approved with no final outcome yet.
	Open []OpenAction
	// ProbeRun is the run of the newest write probe that passed, as its
	// engine journaled it: V1 and S2 hold only while it still exists.
	// RunLost is the newest probe run unknown right after its write with
	// no restart: several Rust instances without shared state (P3).
	ProbeRun, RunLost JournaledRun
	// LegacyFrozenProbe and RustFrozenProbe are the newest safe frozen
	// probe answers an operating process journaled: a read-only process
	// (watch) shows these instead of sending the probes itself.
	LegacyFrozenProbe, RustFrozenProbe JournaledProbe
	// Err is the last read problem (a torn line is skipped and named).
	Err error
}

// Journal check names of the safe frozen probes' answers.
const (
	probeLegacyFrozen = "probe.legacy_frozen"
	probeRustFrozen   = "probe.rust_frozen"
)

// JournaledProbe is one safe frozen probe's answer as an operating process
// journaled it: when, what it told, and the probe's own evidence line.
type JournaledProbe struct {
	At       time.Time
	State    checks.FreezeState
	Evidence string
	Operator string
	Host     string
}

// probe is the field a probe check name is kept in; nil for other checks.
func (h *History) probe(check string) *JournaledProbe {
	switch check {
	case probeLegacyFrozen:
		return &h.LegacyFrozenProbe
	case probeRustFrozen:
		return &h.RustFrozenProbe
	}
	return nil
}

// parseFreezeState reads a FreezeState's String back.
func parseFreezeState(s string) checks.FreezeState {
	switch s {
	case checks.Frozen.String():
		return checks.Frozen
	case checks.Accepting.String():
		return checks.Accepting
	}
	return checks.FreezeUnknown
}

// Actor is who journaled a record, and where: Origin is the shared
// timeline journal it came from, "" for this machine's own journal.
type Actor struct {
	Operator, Host, Origin string
}

// String is "alice@laptop-a (shared timeline, origin X)", or "… (this machine's journal)".
func (a Actor) String() string {
	where := "this machine's journal"
	if a.Origin != "" {
		where = "shared timeline, origin " + a.Origin
	}
	return fmt.Sprintf("%s@%s (%s)", cmp.Or(a.Operator, "?"), cmp.Or(a.Host, "?"), where)
}

// actorOf is who journaled rec, and where.
func actorOf(rec *journal.Record) Actor {
	a := Actor{Operator: rec.Operator, Host: rec.Host}
	if rec.Shared != nil {
		a.Origin = rec.Shared.Origin
	}
	return a
}

// LastRun is an action's last final outcome.
type LastRun struct {
	At       time.Time
	Operator string
	OK       bool
	Message  string
}

// OpenAction is an approved action whose final outcome is not journaled:
// still running, or its process died mid-way.
type OpenAction struct {
	Step     string
	Operator string
	Host     string
	PID      int
	Approved time.Time
	LastSeen time.Time // its last journaled record
	SubStep  string    // the sub-step it last started (its last intent)
}

// Alive says whether the action's process may still be running: on this
// host, its PID exists; elsewhere, it journaled within quiet.
func (a OpenAction) Alive(host string, now time.Time, quiet time.Duration) bool {
	if a.Host == host && a.PID > 0 {
		return pidAlive(a.PID)
	}
	return now.Sub(a.LastSeen) < quiet
}

func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// AuthorityMoves are when a runtime last gained and lost the write
// authority, as journaled: the last actuator call that let it accept
// writes or routed writes to it (Gained), or froze it or routed writes away
// (Lost); its outcome's time when one was journaled, else its intent's. A
// cohort change moves neither: both runtimes stay authorities through S4.
type AuthorityMoves struct {
	Gained, Lost time.Time
}

// authorityMoves are the times a sub-step that moves the write authority
// sets (S1's and S4's mode, route and freeze, a rollback's "R1 …"):
// routing writes is one runtime's gain and the other's loss. None for any
// other sub-step.
func (h *History) authorityMoves(subStep string) []*time.Time {
	rust, legacy := &h.RustAuthority, &h.LegacyAuthority
	switch subStep[strings.LastIndex(subStep, " ")+1:] {
	case "set_rust_write_mode=rust_active":
		return []*time.Time{&rust.Gained}
	case "set_rust_write_mode=shadow_only", "set_rust_write_mode=read_only":
		return []*time.Time{&rust.Lost}
	case "set_legacy_freeze=false":
		return []*time.Time{&legacy.Gained}
	case "set_legacy_freeze=true":
		return []*time.Time{&legacy.Lost}
	case "route_writes=rust":
		return []*time.Time{&rust.Gained, &legacy.Lost}
	case "route_writes=legacy":
		return []*time.Time{&legacy.Gained, &rust.Lost}
	}
	return nil
}

// DoneAfter says whether item finished OK at or after t.
func (h History) DoneAfter(item string, t time.Time) bool {
	done, ok := h.Done[item]
	return ok && !done.Before(t)
}

// historyReader folds a journal into a History incrementally: each read
// parses only the records appended since the last one (journal.Tail), so
// its cost does not grow with the journal.
type historyReader struct {
	tail *journal.Tail
	// shared is what other machines published (nil: none followed);
	// sharedN how many of its records are folded.
	shared  *SharedFeed
	sharedN int

	mu      sync.Mutex
	h       History
	pending map[string][]string // sub-steps of open actions that passed
	// called is the authority-gaining sub-step whose call was journaled
	// and whose outcome was not yet.
	called string
}

// ReadHistory folds the journal at path once, for a caller that reads it
// a single time (the executor closing an interrupted run).
func ReadHistory(path string) History { return newHistoryReader(path).Read() }

func newHistoryReader(path string) *historyReader {
	return &historyReader{tail: journal.NewTail(path)}
}

// Read returns the history as of the journal's current end. A torn or
// corrupt line is skipped and named in Err, which stays set.
func (r *historyReader) Read() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs, restart, err := r.tail.Next()
	if restart {
		r.reset() // truncated, replaced or removed: start over
		r.sharedN = 0
	}
	for i := range recs {
		r.fold(&recs[i])
	}
	if r.shared != nil {
		// Other machines' records: an action started on another laptop is
		// open here too, and done when its outcome arrives.
		var theirs []journal.Record
		theirs, r.sharedN = r.shared.Since(r.sharedN)
		for i := range theirs {
			r.fold(&theirs[i])
		}
	}
	if err != nil {
		r.h.Err = err
	}
	return r.snapshot()
}

func (r *historyReader) reset() {
	r.h, r.pending, r.called = History{}, nil, ""
}

// snapshot is a copy the caller may keep while later reads fold on.
func (r *historyReader) snapshot() History {
	h := r.h
	h.Done = maps.Clone(r.h.Done)
	h.DoneBy = maps.Clone(r.h.DoneBy)
	h.SubSteps = maps.Clone(r.h.SubSteps)
	h.Last = maps.Clone(r.h.Last)
	h.Open = append([]OpenAction(nil), r.h.Open...)
	return h
}

// fold takes one record into the history. A shared record no team key
// signed is left out: it never counts for a gate, never opens an action,
// never explains an incident away (the timeline still shows it).
func (r *historyReader) fold(rec *journal.Record) {
	if !rec.Trusted() {
		return
	}
	h := &r.h
	if h.Done == nil {
		h.Done, h.DoneBy, h.SubSteps, r.pending = map[string]time.Time{}, map[string]Actor{}, map[string][]string{}, map[string][]string{}
		h.Last = map[string]LastRun{}
	}
	switch rec.Kind {
	case journal.KindApproval:
		h.Open = append(h.Open, OpenAction{Step: rec.Step, Operator: rec.Operator, Host: rec.Host, PID: rec.PID,
			Approved: rec.Time, LastSeen: rec.Time})
		r.pending[rec.Step] = nil
		if rec.Step == RollbackID {
			h.RollbackStarted = rec.Time
		}
	case journal.KindVerdict:
		// Each safe frozen probe's answer is journaled under its probe
		// name. Item verdicts are what some process observed, not an
		// item done: only the item's own outcome is.
		if p := h.probe(rec.Check); p != nil {
			*p = JournaledProbe{At: rec.Time, State: parseFreezeState(rec.Verdict), Evidence: rec.Evidence,
				Operator: rec.Operator, Host: rec.Host}
		}
		h.foldProbeRun(rec)
	case journal.KindIntent:
		if len(rec.Argv) > 0 && strings.Contains(rec.Check, "set_rust_write_mode") {
			h.ModeChanged = rec.Time
		}
		if moves := h.authorityMoves(rec.Check); moves != nil && len(rec.Argv) > 0 {
			for _, at := range moves {
				*at = rec.Time
			}
			r.called = rec.Check
		}
	case journal.KindOutcome:
		ok := rec.OK != nil && *rec.OK
		r.rStepResult(rec, ok)
		if moves := h.authorityMoves(rec.Check); moves != nil && r.called == rec.Check {
			for _, at := range moves {
				*at = rec.Time
			}
			r.called = ""
		}
		switch {
		case rec.Check == "":
			r.finish(rec, ok)
		case ok:
			r.pending[rec.Step] = append(r.pending[rec.Step], rec.Check)
			if rec.Check == WriteProbeStep {
				h.WriteProbe = rec.Time
			}
		}
	}
	for i := range h.Open {
		if h.Open[i].Step == rec.Step {
			h.Open[i].LastSeen = rec.Time
			if rec.Kind == journal.KindIntent {
				h.Open[i].SubStep = rec.Check
			}
		}
	}
}

// finish folds an action's final outcome. An older outcome arriving late
// (another machine publishing its backlog) closes its action but moves
// neither Last nor Done back.
func (r *historyReader) finish(rec *journal.Record, ok bool) {
	h := &r.h
	r.closeOpen(rec.Step)
	if last, seen := h.Last[rec.Step]; !seen || !rec.Time.Before(last.At) {
		h.Last[rec.Step] = LastRun{At: rec.Time, Operator: rec.Operator, OK: ok, Message: rec.Message}
	}
	if done, seen := h.Done[rec.Step]; ok && (!seen || !rec.Time.Before(done)) {
		h.Done[rec.Step] = rec.Time
		h.DoneBy[rec.Step] = actorOf(rec)
		h.SubSteps[rec.Step] = r.pending[rec.Step]
	}
	delete(r.pending, rec.Step)
}

// rStepResult keeps an R-step's result ("R3 route_writes=legacy" in a
// rollback's sub-step outcome) under the R-item's ID; the newest wins (the
// final observation may journal a second word on it).
func (r *historyReader) rStepResult(rec *journal.Record, ok bool) {
	id, _, _ := strings.Cut(rec.Check, " ")
	if rec.Step != RollbackID || !isRStep(id) {
		return
	}
	if last, seen := r.h.Last[id]; !seen || !rec.Time.Before(last.At) {
		r.h.Last[id] = LastRun{At: rec.Time, Operator: rec.Operator, OK: ok, Message: rec.Message}
	}
}

// closeOpen ends the newest open action of step.
func (r *historyReader) closeOpen(step string) {
	open := r.h.Open
	for i := len(open) - 1; i >= 0; i-- {
		if open[i].Step == step {
			r.h.Open = append(open[:i:i], open[i+1:]...)
			return
		}
	}
}

// ProbeRepeats tells a safe frozen probe's answer journaled again unchanged
// (operating processes refresh it so watchers never see it stale) from a
// change: timelines show the changes only. The zero value is ready.
type ProbeRepeats struct{ last map[string]string }

// Repeat reports whether r repeats the previous answer of its probe, and
// remembers r.
func (p *ProbeRepeats) Repeat(r journal.Record) bool {
	if r.Kind != journal.KindVerdict || (r.Check != probeLegacyFrozen && r.Check != probeRustFrozen) || !r.Trusted() {
		return false // an unverified row is shown, and never hides a real answer as its repeat
	}
	if p.last == nil {
		p.last = map[string]string{}
	}
	if prev, ok := p.last[r.Check]; ok && prev == r.Verdict {
		return true
	}
	p.last[r.Check] = r.Verdict
	return false
}
