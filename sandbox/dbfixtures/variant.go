// Package dbfixtures builds the authority-plane schemas and roles that
// checks/dbroles verifies, correctly or with one chosen violation, so that
// rehearsals and tests see exactly the states an operator can meet.
package dbfixtures

import (
	"fmt"
	"strings"
)

// Variant is a fixture state: Good, one violation of one check, or Broken.
type Variant string

// The variants. Each violation breaks exactly one check of checks/dbroles.
const (
	Good                 Variant = "good"                   // every check passes
	MissingRole          Variant = "missing-role"           // the control role does not exist
	WrongSchemaOwner     Variant = "wrong-schema-owner"     // schema runtime owned by the runtime role
	ControlWritesRuntime Variant = "control-writes-runtime" // control role may INSERT/UPDATE runtime.runs
	KhalaWritesRuntime   Variant = "khala-writes-runtime"   // khala role may INSERT into runtime.sync_stream_events
	RuntimeWritesControl Variant = "runtime-writes-control" // runtime role may write control.settings
	KhalaCannotReadSync  Variant = "khala-cannot-read-sync" // khala role lost SELECT on runtime.sync_topic_sequences
	PublicOnRuntime      Variant = "public-on-runtime"      // PUBLIC has USAGE on runtime and SELECT on runtime.runs
	Broken               Variant = "broken"                 // a realistic mix; see violations
)

// Variants lists every variant in the order help text shows them.
func Variants() []Variant {
	return []Variant{Good, Broken, MissingRole, WrongSchemaOwner, ControlWritesRuntime,
		KhalaWritesRuntime, RuntimeWritesControl, KhalaCannotReadSync, PublicOnRuntime}
}

// ParseVariant reads a variant name, as `--variant` takes it.
func ParseVariant(s string) (Variant, error) {
	for _, v := range Variants() {
		if strings.EqualFold(strings.TrimSpace(s), string(v)) {
			return v, nil
		}
	}
	names := make([]string, 0, len(Variants()))
	for _, v := range Variants() {
		names = append(names, string(v))
	}
	return "", fmt.Errorf("unknown fixture variant %q (valid: %s)", s, strings.Join(names, ", "))
}
