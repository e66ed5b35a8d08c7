// Package checks turns observations (Prometheus samples, HTTP probes, parity
// reports, database grants) into verdicts that explain themselves.
//
// Every check answers one of five verdicts. UNKNOWN is a verdict of its own:
// it never counts as PASS, and gates hold on it.
package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/internal/age"
)

// Verdict is the answer of one check.
type Verdict int

// The zero value is Unknown so that a forgotten assignment can never pass.
const (
	Unknown Verdict = iota // no data, query error, stale, timeout
	Pass
	Warn
	Pending // the condition is true but its `for` has not elapsed yet
	Fail
	// NotJudged is a check that does not apply here and now: a signal the
	// deployment structurally lacks (required: false, with its reason), or
	// a source that cannot apply in the current phase (legacy projection
	// metrics once legacy takes no writes). It is never green and holds
	// nothing: Worst passes over it, and an item judged by nothing else is
	// UNKNOWN.
	NotJudged
)

var verdictNames = [...]string{"UNKNOWN", "PASS", "WARN", "PENDING", "FAIL", "N/A"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText makes verdicts appear by name in JSON output and the journal.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a verdict name, case-insensitively.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if strings.EqualFold(n, string(b)) {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("unknown verdict %q", b)
}

// Green reports whether a gate may open on this verdict. Only PASS is green.
func (v Verdict) Green() bool { return v == Pass }

// Worst combines verdicts for a gate: FAIL beats UNKNOWN beats PENDING beats
// WARN beats PASS; NotJudged counts for nothing. An empty list, or one of
// NotJudged only, is UNKNOWN: no evidence is not a pass.
func Worst(vs ...Verdict) Verdict {
	vs = slices.DeleteFunc(slices.Clone(vs), func(v Verdict) bool { return v == NotJudged })
	if len(vs) == 0 {
		return Unknown
	}
	rank := func(v Verdict) int {
		switch v {
		case Fail:
			return 4
		case Unknown:
			return 3
		case Pending:
			return 2
		case Warn:
			return 1
		default:
			return 0
		}
	}
	worst := vs[0]
	for _, v := range vs[1:] {
		if rank(v) > rank(worst) {
			worst = v
		}
	}
	return worst
}

// Evidence is the one-line explanation behind a verdict:
// source → raw value → rule → verdict → data age.
type Evidence struct {
	Source string        `json:"source"` // the query, URL, file or SQL that was asked
	Value  string        `json:"value"`  // what it answered, raw
	Rule   string        `json:"rule"`   // the threshold or rule applied
	Age    time.Duration `json:"-"`      // how old the data is
	Reason string        `json:"reason,omitempty"`
}

// String renders the evidence on one line.
func (e Evidence) String() string {
	var b strings.Builder
	b.WriteString(e.Source)
	b.WriteString(" → ")
	if e.Value == "" {
		b.WriteString("no value")
	} else {
		b.WriteString(e.Value)
	}
	if e.Rule != "" {
		b.WriteString(" → ")
		b.WriteString(e.Rule)
	}
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(e.Reason)
		b.WriteString(")")
	}
	return b.String()
}

// Result is one check's verdict with its evidence.
type Result struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Verdict    Verdict   `json:"verdict"`
	Evidence   Evidence  `json:"-"`
	ObservedAt time.Time `json:"observed_at"`
}

// Line renders "source → value → rule → VERDICT → age 3s".
func (r Result) Line(now time.Time) string {
	return fmt.Sprintf("%s → %s → age %s", r.Evidence, r.Verdict, FormatAge(r.Age(now)))
}

// Age is how old the result's data is at now. A result never observed has
// an age of -1.
func (r Result) Age(now time.Time) time.Duration {
	if r.ObservedAt.IsZero() {
		return -1
	}
	if d := now.Sub(r.ObservedAt) + r.Evidence.Age; d > 0 {
		return d
	}
	return 0
}

// FormatAge renders an age compactly: "2s", "1m05s", "never" (age.Format,
// the one rule the lock and the screen share).
func FormatAge(d time.Duration) string { return age.Format(d) }
