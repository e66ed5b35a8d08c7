package runbook

import (
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/metrics"
)

// observation is one round of raw answers from the systems, gathered
// concurrently by Observe and judged by the evaluator. Keeping the two apart
// lets tests judge constructed observations without any server.
type observation struct {
	at       time.Time
	snapshot metrics.Snapshot

	rust         checks.RustHealth
	rustHealth   checks.Result
	rustReady    checks.Result
	legacyHealth checks.Result

	rustFreeze   checks.FreezeState
	rustFrozen   checks.Result
	legacyFreeze checks.FreezeState
	legacyFrozen checks.Result

	parity    checks.ParityReading
	db        []checks.Result
	artifacts checks.Result // R4: the newest rollback artifact directory

	// checkpoints and drift are judged from the Rust projector endpoints,
	// for the runs the cockpit wrote or observed.
	checkpoints checks.Result
	drift       checks.Result
	// probeRun is whether the passed write probe's run still exists
	// (zero: no passed probe journaled).
	probeRun checks.Result

	// history is this environment's journal; staging, in a production
	// environment, each non-production environment's (S4's gate).
	history History
	staging map[string]History
	// required is, in a production environment, the environment it
	// requires as observed now (S4's gate).
	required requiredObservation
	host     string
}
