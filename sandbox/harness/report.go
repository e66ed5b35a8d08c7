// Package harness is the rehearsal world's stand-in for the real
// runtime-shadow-harness (apps/runtime/src/shadow.rs at commit e5c63cf1f2's
// era). It reads the same capture manifests, compares the same thirteen
// fields with the same severities, messages and gate rules, and writes
// reports in the same openagents.runtime.shadow_parity.v1 schema, so that
// what an operator rehearses against is what the real harness will say.
package harness

// Schema is the report schema the cockpit's parity checks expect.
const Schema = "openagents.runtime.shadow_parity.v1"

// Diff severities, as the real harness serializes them.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// Gate decisions, as the real harness serializes them.
const (
	DecisionAllow = "allow"
	DecisionBlock = "block"
)

// Policy is the gate policy. The real harness stores max_warnings as an
// unsigned number, so a negative MaxWarnings is refused rather than read as
// "block on everything".
type Policy struct {
	MaxWarnings     int
	BlockOnCritical bool
}

// CutoverPolicy is the policy the cutover runbook mandates and the CLI's
// defaults: no warnings tolerated, any critical diff blocks.
func CutoverPolicy() Policy { return Policy{MaxWarnings: 0, BlockOnCritical: true} }

// Diff is one field that differs between the two captures. Legacy and Rust
// are strings even for numeric fields because the real harness renders every
// value with to_string() before comparing; readers that compare them as
// numbers would disagree with the real tool.
type Diff struct {
	Severity string `json:"severity"`
	Field    string `json:"field"`
	Legacy   string `json:"legacy"`
	Rust     string `json:"rust"`
	Message  string `json:"message"`
}

// Totals counts diffs by severity; the gate decides on these counts alone.
type Totals struct {
	Critical int `json:"critical"`
	Warning  int `json:"warning"`
}

// Gate is the harness's verdict on the cutover.
type Gate struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// Report is one parity report. Field order matches the real harness's
// serde output so reports from both tools look alike on disk.
type Report struct {
	Schema      string `json:"schema"`
	GeneratedAt string `json:"generated_at"`
	LegacyRunID string `json:"legacy_run_id"`
	RustRunID   string `json:"rust_run_id"`
	Diffs       []Diff `json:"diffs"`
	Totals      Totals `json:"totals"`
	Gate        Gate   `json:"gate"`
}
