package harness

import (
	"errors"
	"fmt"
	"time"
)

// Compare loads both captures and judges their parity with the real
// harness's fields, severities, messages and gate. now stamps generated_at.
func Compare(legacyManifestPath, rustManifestPath string, p Policy, now time.Time) (Report, error) {
	if p.MaxWarnings < 0 {
		return Report{}, errors.New("policy max_warnings must not be negative")
	}
	legacy, err := loadSnapshot(legacyManifestPath)
	if err != nil {
		return Report{}, fmt.Errorf("loading legacy capture: %w", err)
	}
	rust, err := loadSnapshot(rustManifestPath)
	if err != nil {
		return Report{}, fmt.Errorf("loading rust capture: %w", err)
	}
	diffs := compareSnapshots(legacy, rust)
	totals := countDiffs(diffs)
	return Report{
		Schema:      Schema,
		GeneratedAt: formatRFC3339(now),
		LegacyRunID: legacy.runID,
		RustRunID:   rust.runID,
		Diffs:       diffs,
		Totals:      totals,
		Gate:        evaluateGate(totals, p),
	}, nil
}

// field is one compared value: its name, severity, message and how to read
// it from a snapshot.
type field struct {
	name, severity, message string
	value                   func(snapshot) string
}

// comparedFields lists the fields in the real harness's order, so diffs
// appear in the same order in both tools' reports.
func comparedFields() []field {
	return []field{
		{"run_id", SeverityCritical, "run identifiers diverged", func(s snapshot) string { return s.runID }},
		{"session_id", SeverityCritical, "receipt session IDs diverged", func(s snapshot) string { return s.sessionID }},
		{"trajectory_hash", SeverityCritical, "trajectory hash mismatch", func(s snapshot) string { return s.trajectoryHash }},
		{"summary_status", SeverityCritical, "projected run status mismatch", func(s snapshot) string { return s.summaryStatus }},
		{"summary_last_seq", SeverityCritical, "projected last sequence mismatch", func(s snapshot) string { return s.summaryLastSeq }},
		{"checkpoint_last_seq", SeverityCritical, "checkpoint sequence mismatch", func(s snapshot) string { return s.checkpointLastSeq }},
		{"replay_hash", SeverityWarning, "replay hash mismatch", func(s snapshot) string { return s.replayHash }},
		{"replay_runtime_event_count", SeverityWarning, "runtime replay event count mismatch", func(s snapshot) string { return s.replayRuntimeEventCount }},
		{"receipt_event_count", SeverityWarning, "receipt event count mismatch", func(s snapshot) string { return s.receiptEventCount }},
		{"receipt_last_seq", SeverityWarning, "receipt last sequence mismatch", func(s snapshot) string { return s.receiptLastSeq }},
		{"summary_event_count", SeverityWarning, "summary event count mismatch", func(s snapshot) string { return s.summaryEventCount }},
		{"summary_projection_hash", SeverityWarning, "projection hash mismatch", func(s snapshot) string { return s.summaryProjectionHash }},
		{"checkpoint_last_event_type", SeverityWarning, "checkpoint event type mismatch", func(s snapshot) string { return s.checkpointLastEventType }},
	}
}

// compareSnapshots lists every field whose values differ. It never returns
// nil, so an empty report says "diffs": [] as the real one does.
func compareSnapshots(legacy, rust snapshot) []Diff {
	diffs := []Diff{}
	for _, f := range comparedFields() {
		l, r := f.value(legacy), f.value(rust)
		if l != r {
			diffs = append(diffs, Diff{Severity: f.severity, Field: f.name, Legacy: l, Rust: r, Message: f.message})
		}
	}
	return diffs
}

func countDiffs(diffs []Diff) Totals {
	var t Totals
	for _, d := range diffs {
		switch d.Severity {
		case SeverityCritical:
			t.Critical++
		case SeverityWarning:
			t.Warning++
		}
	}
	return t
}

// evaluateGate applies the real harness's rules in its order: critical
// diffs first (when the policy blocks on them), then the warning budget.
func evaluateGate(t Totals, p Policy) Gate {
	if p.BlockOnCritical && t.Critical > 0 {
		return Gate{Decision: DecisionBlock, Reason: "critical parity diffs detected"}
	}
	if t.Warning > p.MaxWarnings {
		return Gate{
			Decision: DecisionBlock,
			Reason:   fmt.Sprintf("warning parity diffs (%d) exceed policy threshold (%d)", t.Warning, p.MaxWarnings),
		}
	}
	return Gate{Decision: DecisionAllow, Reason: "parity within configured thresholds"}
}
