// Package runbook evaluates the cutover: the runbook as data (every
// numbered item with its own words, its checks and its confirm level), the
// engine that observes one environment and judges it (phase, gates,
// incidents, history folded from the journal) and the state's wire form.
// It changes nothing: the executor package, which imports this one, is the
// only door for a mutation. The screen and scripted mode both read this
// one model.
package runbook

// Kind groups runbook items the way the runbook's sections do.
type Kind string

// The runbook's sections.
const (
	Precondition Kind = "precondition" // P1–P4
	Step         Kind = "step"         // S1–S4
	Verification Kind = "verification" // V1–V4
	Rollback     Kind = "rollback"     // R1–R4
	Incident     Kind = "incident"     // I1–I3
)

// Confirm is how much an operator must do before an item's actions run.
type Confirm int

// Confirm levels. Production always needs the environment name typed,
// whatever the item says.
const (
	ConfirmNone  Confirm = iota // read-only: checks only
	ConfirmYesNo                // y / n
	ConfirmTyped                // type the environment name
)

// Item is one numbered item of the runbook.
type Item struct {
	ID    string // P1 … I3
	Kind  Kind
	Title string // short, for the list
	Text  string // the runbook's own words
	// Writes says the item mutates something (an actuator or the write probe).
	Writes  bool
	Confirm Confirm
}
