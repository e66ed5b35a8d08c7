package runbook

// ID used for the whole rollback (R1–R4) and the alias of V1.
const (
	RollbackID   = "rollback"
	WriteProbeID = "write-probe"
)

// WriteProbeStep names the write probe's sub-step in the journal: the
// executor writes it, the history reads it.
const WriteProbeStep = "write_probe"

// RunbookItems returns every numbered item of
// docs/runbook.md, in the runbook's order, with the
// runbook's own words. This is the only place those words are typed: the
// screen, scripted mode, the executor and the journal all name items through
// it. Each call returns fresh items, so a caller cannot change another's.
func RunbookItems() []*Item {
	return []*Item{
		{ID: "P1", Kind: Precondition, Title: "parity gate allow",
			Text: "Shadow parity gate passes using `runtime-shadow-harness` (`decision=allow`)."},
		{ID: "P2", Kind: Precondition, Title: "no critical parity diffs",
			Text: "No critical parity diffs in staged scenarios."},
		{ID: "P3", Kind: Precondition, Title: "health/readiness/projector",
			Text: "Runtime health/readiness and projector recovery checks are green."},
		{ID: "P4", Kind: Precondition, Title: "DB role isolation",
			Text: "DB role isolation verification passes:\n" +
				"   - `DB_URL=<postgres-url> apps/runtime/deploy/cloudrun/verify-db-role-isolation.sh`"},

		{ID: "S1", Kind: Step, Title: "enable rust authority in staging", Writes: true, Confirm: ConfirmYesNo,
			Text: "Enable Rust authority in staging:\n" +
				"   - `RUNTIME_AUTHORITY_WRITE_MODE=rust_active`\n" +
				"   - `LEGACY_RUNTIME_WRITE_FREEZE=true`"},
		{ID: "S2", Kind: Step, Title: "verify staging write path", Writes: true, Confirm: ConfirmYesNo,
			Text: "Verify staging write path:\n" +
				"   - Create run/event/worker mutations through control-plane integration.\n" +
				"   - Confirm replay/receipt/projector artifacts update in Rust runtime."},
		{ID: "S3", Kind: Step, Title: "run shadow parity harness", Writes: true, Confirm: ConfirmYesNo,
			Text: "Run shadow parity harness against staged traffic snapshots."},
		{ID: "S4", Kind: Step, Title: "promote to production by cohort", Writes: true, Confirm: ConfirmYesNo,
			Text: "Promote same config to production in controlled cohort rollout."},

		{ID: "V1", Kind: Verification, Title: "rust accepts writes", Writes: true, Confirm: ConfirmYesNo,
			Text: "Rust write endpoints accept writes and update event/projection artifacts."},
		{ID: "V2", Kind: Verification, Title: "legacy frozen (410)",
			Text: "Legacy mutation routes return `410 write_path_frozen`."},
		{ID: "V3", Kind: Verification, Title: "parity within thresholds",
			Text: "Shadow parity reports remain within gate thresholds."},
		{ID: "V4", Kind: Verification, Title: "error rate and drift within SLO",
			Text: "Error rates and drift metrics remain within SLO targets."},

		{ID: "R1", Kind: Rollback, Title: "freeze rust writes", Writes: true, Confirm: ConfirmYesNo,
			Text: "Switch Rust runtime to freeze mode:\n" +
				"   - `RUNTIME_AUTHORITY_WRITE_MODE=shadow_only`"},
		{ID: "R2", Kind: Rollback, Title: "unfreeze legacy", Writes: true, Confirm: ConfirmYesNo,
			Text: "Disable legacy freeze:\n" +
				"   - `LEGACY_RUNTIME_WRITE_FREEZE=false`"},
		{ID: "R3", Kind: Rollback, Title: "route writes to legacy", Writes: true, Confirm: ConfirmYesNo,
			Text: "Route writes back to legacy authority path."},
		{ID: "R4", Kind: Rollback, Title: "collect artifacts", Confirm: ConfirmYesNo,
			Text: "Collect parity report and incident timeline artifacts before retry."},

		{ID: "I1", Kind: Incident, Title: "critical parity diffs",
			Text: "Critical shadow parity diffs."},
		{ID: "I2", Kind: Incident, Title: "write error spike",
			Text: "Sustained write-path error spike."},
		{ID: "I3", Kind: Incident, Title: "drift or checkpoint regression",
			Text: "Unbounded drift or checkpoint regression."},
	}
}

// ConfirmFor is the confirm level in an environment: production always
// needs its name typed, whatever the item says, and a read-only item needs
// no confirmation anywhere.
func (it *Item) ConfirmFor(production bool) Confirm {
	if it.Confirm == ConfirmNone {
		return ConfirmNone
	}
	if production {
		return ConfirmTyped
	}
	return it.Confirm
}

// FindItem returns the item with id among items, or nil.
func FindItem(items []*Item, id string) *Item {
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	return nil
}
