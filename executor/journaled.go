package executor

import (
	"fmt"
	"strings"

	"github.com/openagents/cockpit/journal"
)

// Journaled is what the journal's health changes in an action's outcome.
// A forward step or a check whose journal lost a record is not OK,
// whatever it observed, and the error names the file and errno: its
// history has a hole nobody would know of. A rollback is never failed by
// its journal; its outcome names the fallback that took what the state
// disk refused.
func Journaled(j *journal.Journal, o *Outcome, rollback bool) error {
	if rollback {
		if u := j.Fallback(); u.Records > 0 {
			o.Message += "; " + u.String()
		}
		return nil
	}
	err := j.Err()
	if err == nil {
		return nil
	}
	if o.OK {
		o.OK = false
		o.Message = fmt.Sprintf("%s, but not journaled: %v", FirstLine(o.Message), err)
	}
	return fmt.Errorf("%s not recorded: %w", o.Step, err)
}

// FirstLine is an outcome message's headline ("P1 PASS" of "P1 PASS:\n…").
func FirstLine(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	return strings.TrimSuffix(first, ":")
}
