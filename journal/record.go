// Package journal is the cockpit's append-only history: one JSON object per
// line, fsynced per record, so a killed process loses at most the line it
// was writing. The journal is history, not truth: where the cutover stands is
// always read from the systems themselves.
package journal

import (
	"path/filepath"
	"time"
)

// Record kinds, in the order a session usually writes them.
const (
	KindSession  = "session"  // a process started (operator, host, argv, config hash)
	KindVerdict  = "verdict"  // a check's verdict changed
	KindApproval = "approval" // an operator approved an action
	KindOverride = "override" // a gate that was not green was overridden, with a reason
	KindRefused  = "refused"  // an action was refused (gate, lock, missing approval)
	KindIntent   = "intent"   // an action is about to run
	KindProgress = "progress" // a step of an action moved on
	KindOutcome  = "outcome"  // an action finished, OK or not
	KindArtifact = "artifact" // a file was collected (parity report, timeline)
	KindNotify   = "notify"   // a notification could not be delivered
	// KindRecording is the flight recorder stopping (its disk failed): the
	// rounds after it are not in the recording.
	KindRecording = "recording"
	// KindGuard is the automatic rollback's word (cockpit guard): the
	// state it entered (Verdict: advised, holding, countdown, acting,
	// acted, cancelled), or a request to cancel its countdown (cancel).
	KindGuard = "guard"
)

// Record is one line of the journal. Every field but Time and Kind is
// optional and left out of the JSON when empty.
type Record struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Env      string    `json:"env,omitempty"`
	Operator string    `json:"operator,omitempty"`
	Host     string    `json:"host,omitempty"`
	// PID is the acting process, on approvals: with Host it tells a step
	// still running from one whose process died mid-way.
	PID        int      `json:"pid,omitempty"`
	ConfigHash string   `json:"config_hash,omitempty"`
	Step       string   `json:"step,omitempty"`
	Check      string   `json:"check,omitempty"`
	Verdict    string   `json:"verdict,omitempty"`
	Evidence   string   `json:"evidence,omitempty"`
	Message    string   `json:"message,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Argv       []string `json:"argv,omitempty"`
	OK         *bool    `json:"ok,omitempty"`
	// Shared is set on a record read from the team's shared timeline, by
	// the reader, never by what the row says: where it came from and
	// whether a team key signed it. A record of this machine's own journal
	// has none, and is trusted.
	Shared *Provenance `json:"shared,omitempty"`
}

// Provenance is where a shared timeline record came from, and whether it
// is believed.
type Provenance struct {
	// Origin is the id of the journal file it was published from.
	Origin string `json:"origin"`
	// Verified is set when a key listed in team_keys signed the record, for
	// the operator it names, and its time is not in the future.
	Verified bool `json:"verified"`
	// Problem is why it is not verified: unsigned, an unknown key, another
	// operator's key, a bad signature, a time in the future, too large.
	Problem string `json:"problem,omitempty"`
}

// Trusted reports whether a record may count for a gate, open an action or
// explain an incident away: this machine's own, or a verified shared one.
func (r Record) Trusted() bool { return r.Shared == nil || r.Shared.Verified }

// Clean is r made screen-safe as Decode makes every record it reads, for a
// reader that decodes a record inside a larger document (a signed row).
func Clean(r Record) Record { return clean(r) }

// Path is where an environment's journal lives: <state_dir>/<env>/journal.jsonl.
// One file per environment keeps a staging rehearsal out of production's history.
func Path(stateDir, env string) string {
	return filepath.Join(stateDir, env, "journal.jsonl")
}
