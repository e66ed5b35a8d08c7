package runbook

import (
	"cmp"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// evaluator judges observations. It is stateful (threshold and incident
// timers remember how long a condition has held), so rounds are judged one
// at a time under its mutex, even when Observe runs concurrently.
type evaluator struct {
	env        *config.Environment
	items      []*Item
	staleAfter time.Duration
	// actionQuiet is how long an action on another host may go without a
	// journal record before it no longer counts as running.
	actionQuiet time.Duration
	// maxSkew is how far in the future a sample may be dated before its
	// signal is UNKNOWN (max_clock_skew).
	maxSkew time.Duration

	mu         sync.Mutex
	thresholds map[string]*checks.ThresholdCheck
	incidents  []*incidentRule
	writers    writersRule
}

// cutoverStep is the step after which the verification checklist applies:
// S1 in staging, S4 (the promotion) in production.
func cutoverStep(env *config.Environment) string {
	if env.Production {
		return "S4"
	}
	return "S1"
}

// ActionQuiet is how long an action may go without journaling while it is
// still running: its longest actuator call, then its post-verification.
func ActionQuiet(env *config.Environment) time.Duration {
	longest := env.Parity.Harness.Timeout.D()
	for _, a := range []*config.Action{env.Actuators.SetRustWriteMode, env.Actuators.SetLegacyFreeze,
		env.Actuators.RouteWrites, env.Actuators.SetCohort, env.Parity.Capture} {
		if a != nil {
			longest = max(longest, a.Timeout.D())
		}
	}
	return longest + env.VerifyTimeout.D() + env.Soak.D()
}

func newEvaluator(cfg *config.Config, env *config.Environment, items []*Item) *evaluator {
	ev := &evaluator{
		env:         env,
		items:       items,
		staleAfter:  cfg.StaleAfter.D(),
		maxSkew:     cfg.MaxClockSkew.D(),
		thresholds:  make(map[string]*checks.ThresholdCheck, len(env.Signals)),
		incidents:   newIncidentRules(cfg.Incidents, env.Signals),
		writers:     writersRule{neitherFor: cfg.ExactlyOneWriter.NeitherFor.D()},
		actionQuiet: ActionQuiet(env),
	}
	for name, sig := range env.Signals {
		ev.thresholds[name] = checks.NewThresholdCheck(sig, ev.staleAfter).AllowClockSkew(ev.maxSkew)
	}
	return ev
}

// round is the judging of one observation; it evaluates each signal once.
type round struct {
	ev      *evaluator
	o       observation
	signals map[string]checks.Result
	writers writerState
}

func (ev *evaluator) evaluate(o observation) State {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	r := &round{ev: ev, o: o, signals: map[string]checks.Result{}}
	st := State{
		Env:        ev.env.Name,
		Production: ev.env.Production,
		Snapshot:   o.snapshot,
		Parity:     ParityOf(o.parity),
		Health:     []checks.Result{o.rustHealth, o.rustReady, o.legacyHealth},
		Staging:    stagingGate(ev.env, o.staging, o.required, o.at),
		History:    o.history,
		At:         o.at,
	}
	st.Observed = r.observed()
	r.writers = r.writersOf(st.Observed.WriteTarget.Evidence.Value)
	st.Writers = Writers{Rust: r.writers.rust, Legacy: r.writers.legacy}
	st.Checkpoints = o.checkpoints
	for _, it := range ev.items {
		if it.Kind == Incident {
			continue
		}
		cs := r.itemChecks(it, st.Observed)
		st.Items = append(st.Items, ItemStatus{Item: it, Verdict: verdictOf(cs), Checks: cs})
	}
	for i := range st.Items {
		if k := st.Items[i].Item.Kind; k == Step || k == Rollback {
			st.Items[i].Progress = r.progressOf(st.Items[i].Item)
		}
	}
	markNotYet(&st, ev.env, o.history)
	st.Incidents = r.evaluateIncidents(r.writers)
	return st
}

// signal is the threshold verdict of one configured signal this round.
func (r *round) signal(name string) checks.Result {
	if res, ok := r.signals[name]; ok {
		return res
	}
	tc, ok := r.ev.thresholds[name]
	if !ok {
		res := checks.Result{ID: name, Title: name, Verdict: checks.Unknown,
			Evidence: checks.Evidence{Source: "signals." + name, Reason: "signal not configured: add it under signals"}}
		r.signals[name] = res
		return res
	}
	if why := cmp.Or(tc.Signal().NotJudged(), r.outOfPhase(tc.Signal())); why != "" {
		sig := tc.Signal()
		res := checks.Result{ID: name, Title: sig.Title, Verdict: checks.NotJudged, ObservedAt: r.o.at,
			Evidence: checks.Evidence{Source: sig.Query, Reason: why}}
		r.signals[name] = res
		return res
	}
	res := tc.Evaluate(r.o.snapshot.Samples[name], r.o.at)
	r.signals[name] = res
	return res
}

// outOfPhase is why sig cannot apply in the phase observed now, or "": the
// legacy runtime's projection telemetry moves only on legacy writes, so
// once the safe probe sees legacy frozen it describes nothing any more
// (docs/runtime-facts.md §8), and reading its silence as "no drift" would be green
// from silence.
func (r *round) outOfPhase(sig *config.Signal) string {
	if sig.AppliesWhile != config.AppliesLegacyWrites || r.writers.legacy != checks.Frozen {
		return ""
	}
	return fmt.Sprintf("n/a after %s: legacy is frozen and no longer projects (these metrics move only on legacy writes); "+
		"drift and checkpoints are judged from the Rust projector endpoints", cutoverStep(r.ev.env))
}

// itemChecks are the checks behind one runbook item. For a step or a
// rollback item they answer "is this item's target state observed?", so the
// list shows what is done from observation, not from memory.
func (r *round) itemChecks(it *Item, obs Observed) []checks.Result {
	o := r.o
	switch it.ID {
	case "P1":
		return []checks.Result{o.parity.Gate}
	case "P2":
		return []checks.Result{o.parity.NoCritical}
	case "P3":
		return []checks.Result{o.rustHealth, o.rustReady, o.legacyHealth,
			r.signal("drift_events"), o.checkpoints, o.drift, r.signal("projection_lag"), r.instancesCheck()}
	case "P4":
		return o.db
	case "V1":
		return append(r.rustAccepts(), r.writeProbeSinceModeChange()...)
	case "V2":
		return []checks.Result{freezeCheck("legacy.frozen", "legacy mutation routes answer 410", o.legacyFrozen, o.legacyFreeze, checks.Frozen)}
	case "V3":
		return []checks.Result{o.parity.WithinThresholds}
	case "V4":
		return append(r.authorityErrorRates(), r.signal("legacy_http_5xx_ratio"),
			r.signal("drift_events"), r.signal("hash_mismatch_drift"), o.checkpoints, o.drift,
			r.signal("projection_lag"), r.signal("projection_write_failure_ratio"), r.signal("replay_failures"))
	case "S1":
		return r.rustAuthority(obs)
	case "S2":
		return append(append(r.rustAuthority(obs), r.rustAccepts()...), r.writeProbeSinceModeChange()...)
	case "S3":
		return []checks.Result{o.parity.Gate, o.parity.WithinThresholds}
	case "S4":
		if !r.ev.env.Production {
			return []checks.Result{notHere(it, "observed in a production environment (production: true)")}
		}
		return r.rustAuthority(obs)
	case "R1":
		return []checks.Result{
			modeCheck(obs.RustWriteMode, "shadow_only", "read_only", ModeFrozen),
			freezeCheck("rust.frozen", "rust write endpoints answer 503", o.rustFrozen, o.rustFreeze, checks.Frozen),
		}
	case "R2":
		return []checks.Result{freezeCheck("legacy.accepting", "legacy accepts writes", o.legacyFrozen, o.legacyFreeze, checks.Accepting)}
	case "R3":
		return []checks.Result{targetCheck(obs.WriteTarget, "legacy")}
	case "R4":
		return []checks.Result{o.artifacts}
	}
	return []checks.Result{notHere(it, "no check is defined for this item")}
}

// rustAuthority is the target of S1 (and of S4 in production): Rust in
// rust_active, legacy frozen, and the writes going to Rust.
func (r *round) rustAuthority(obs Observed) []checks.Result {
	return []checks.Result{
		modeCheck(obs.RustWriteMode, "rust_active"),
		freezeCheck("legacy.frozen", "legacy mutation routes answer 410", r.o.legacyFrozen, r.o.legacyFreeze, checks.Frozen),
		r.quietTarget(targetCheck(obs.WriteTarget, "rust")),
	}
}

// quietTarget is t, or N/A when the write target is unknown only because no
// write reached the write path in the share's window (a quiet staging:
// Prometheus answers, fresh, with no write to divide), legacy answers 410
// and no write was refused (writes routed to a frozen legacy would be): no
// write landed anywhere to say more. Said, never a pass; a silent, stale or
// failed share stays UNKNOWN, and the executor's own route verification
// still waits for a write on Rust.
func (r *round) quietTarget(t checks.Result) checks.Result {
	if t.Verdict != checks.Unknown || r.o.legacyFreeze != checks.Frozen || !r.freshAndAbsent(ShareSignal) {
		return t
	}
	refused, ok := r.o.snapshot.Samples[refusalSignal]
	if !ok || !r.fresh(refusalSignal) || !refused.HasValue || refused.Value != 0 {
		return t
	}
	t.Verdict = checks.NotJudged
	t.Evidence.Reason = "no write in the write share's window (a quiet write path): legacy answers 410 and no write was refused"
	return t
}

// refusalSignal counts writes a frozen runtime refused.
const refusalSignal = "frozen_write_refusals"

// fresh says whether the named signal's sample answered, without error,
// within its stale_after, and not silent.
func (r *round) fresh(name string) bool {
	s, ok := r.o.snapshot.Samples[name]
	sig := r.ev.env.Signals[name]
	return ok && sig != nil && s.Err == nil && !s.Silent && !s.At.IsZero() &&
		s.Age(r.o.at) <= checks.StaleAfter(sig, r.ev.staleAfter)
}

// freshAndAbsent: the signal answered, fresh, with no value (nothing to
// divide).
func (r *round) freshAndAbsent(name string) bool {
	return r.fresh(name) && !r.o.snapshot.Samples[name].HasValue
}

// progressOf reads a step's progress from the journal: running while its
// action is open and alive, else how its last run ended, else not run; an
// R-item's is its own within the newest rollback (rollbackItemProgress).
func (r *round) progressOf(it *Item) StepProgress {
	if it.Kind == Rollback {
		return rollbackItemProgress(it.ID, r.actionProgress(RollbackID), r.o.history)
	}
	return r.actionProgress(it.ID)
}

// actionProgress is one action's progress from the journal.
func (r *round) actionProgress(action string) StepProgress {
	for _, a := range r.writers.running {
		if a.Step == action {
			return StepProgress{State: Running, At: a.Approved, Operator: a.Operator, Detail: a.SubStep}
		}
	}
	last, ok := r.o.history.Last[action]
	switch {
	case !ok:
		return StepProgress{State: NotRun}
	case last.OK:
		return StepProgress{State: Done, At: last.At, Operator: last.Operator, Detail: last.Message}
	case strings.Contains(last.Message, "interrupted"):
		return StepProgress{State: Interrupted, At: last.At, Operator: last.Operator, Detail: last.Message}
	default:
		return StepProgress{State: Failed, At: last.At, Operator: last.Operator, Detail: last.Message}
	}
}

// writeProbeSinceModeChange is the half of S2 and V1 only an action can
// prove: a write probe (run, event and worker mutations, read back) passed
// after the last journaled change of the Rust write mode, and its run is
// still on the runtime. Every restart (a mode change, a redeploy nobody
// journaled) loses the runtime's runs, so a probe whose run is gone proves
// nothing about the process serving now.
func (r *round) writeProbeSinceModeChange() []checks.Result {
	res := r.writeProbeJournaled()
	h := r.o.history
	if res.Verdict != checks.Pass || r.o.probeRun.ID == "" || h.ProbeRun.At.Before(h.ModeChanged) {
		return []checks.Result{res} // no run journaled for the probe that passed
	}
	return []checks.Result{res, r.o.probeRun}
}

// writeProbeJournaled is the journal's half: a passed probe after the last
// journaled mode change.
func (r *round) writeProbeJournaled() checks.Result {
	h := r.o.history
	res := checks.Result{ID: "write_probe.journaled", Title: "write probe passed since the last mode change", ObservedAt: r.o.at,
		Evidence: checks.Evidence{Source: "journal", Rule: "a passed write probe after the last set_rust_write_mode"}}
	probe, mode := "none", "none journaled"
	if !h.WriteProbe.IsZero() {
		probe = h.WriteProbe.UTC().Format(time.RFC3339)
	}
	if !h.ModeChanged.IsZero() {
		mode = h.ModeChanged.UTC().Format(time.RFC3339)
	}
	res.Evidence.Value = fmt.Sprintf("last write probe %s, last mode change %s", probe, mode)
	res.Verdict = checks.Fail
	if !h.WriteProbe.IsZero() && !h.WriteProbe.Before(h.ModeChanged) {
		res.Verdict = checks.Pass
	} else {
		res.Evidence.Reason = "run S2 (or V1) to write and read back a labelled run"
	}
	return res
}

// authorityErrorRates are the write error rates of the write authorities
// (V4), as I2 judges them: where writes are routed, never a frozen runtime.
func (r *round) authorityErrorRates() []checks.Result {
	rust, legacy, _ := r.writers.authorities()
	var out []checks.Result
	if rust {
		out = append(out, r.quiet(r.signal("rust_write_error_rate")))
	}
	if legacy {
		out = append(out, r.quiet(r.signal("legacy_write_error_rate")))
	}
	return out
}

// quiet is res, or N/A when it is unknown only for insufficient traffic and
// the environment declares low_traffic: proceed (as the incident gate does):
// a quiet write path is said, never read as a pass, and never holds V4 for
// good on a staging that is quiet by design.
func (r *round) quiet(res checks.Result) checks.Result {
	if r.ev.env.LowTraffic != config.LowTrafficProceed || !checks.IsInsufficientTraffic(res) {
		return res
	}
	res.Verdict = checks.NotJudged
	res.Evidence.Reason += "; not judged: the environment declares low_traffic: proceed"
	return res
}

// rustAccepts is V1 as watching may observe it: the safe probe (a write to a
// random run id answers 404, not 503) and /healthz's writer flag. The write
// probe that really writes is an action, run only through the executor.
func (r *round) rustAccepts() []checks.Result {
	o := r.o
	writer := o.rustHealth
	writer.ID, writer.Title = "rust.writer_active", "rust authority writer active"
	writer.Evidence.Value = fmt.Sprintf("authority_writer_active=%t", o.rust.WriterActive)
	writer.Evidence.Rule = "must be true"
	switch {
	case o.rustHealth.Verdict == checks.Unknown:
		writer.Verdict = checks.Unknown
	case o.rust.WriterActive:
		writer.Verdict = checks.Pass
	default:
		writer.Verdict = checks.Fail
	}
	return []checks.Result{
		freezeCheck("rust.accepting", "rust write endpoints accept writes", o.rustFrozen, o.rustFreeze, checks.Accepting),
		writer,
	}
}

// freezeCheck judges a safe frozen probe's answer against the wanted state.
// A probe that could not tell stays UNKNOWN, with its own reason.
func freezeCheck(id, title string, probe checks.Result, got, want checks.FreezeState) checks.Result {
	r := probe
	r.ID, r.Title = id, title
	r.Evidence.Rule = fmt.Sprintf("%s; want %s", got, want)
	switch got {
	case checks.FreezeUnknown:
		r.Verdict = checks.Unknown
	case want:
		r.Verdict = checks.Pass
	default:
		r.Verdict = checks.Fail
	}
	return r
}

// modeCheck judges the observed Rust write mode against the wanted modes.
func modeCheck(observed checks.Result, want ...string) checks.Result {
	r := observed
	mode := observed.Evidence.Value
	r.ID, r.Title = "rust.mode", "rust authority write mode"
	r.Evidence.Value = "authority_write_mode=" + mode
	r.Evidence.Rule = fmt.Sprintf("want %v", want)
	if observed.Verdict == checks.Unknown || mode == "" {
		r.Verdict = checks.Unknown
		return r
	}
	r.Verdict = checks.Fail
	for _, w := range want {
		if mode == w {
			r.Verdict = checks.Pass
		}
	}
	return r
}

// targetCheck judges where writes go against the wanted target.
func targetCheck(target checks.Result, want string) checks.Result {
	r := target
	r.ID, r.Title = "writes.target", "writes go to "+want
	r.Evidence.Rule = "want " + want
	switch {
	case target.Verdict == checks.Unknown:
	case target.Evidence.Value == want:
		r.Verdict = checks.Pass
	default:
		r.Verdict = checks.Fail
	}
	return r
}

// notHere is the UNKNOWN of an item that this environment cannot observe.
func notHere(it *Item, why string) checks.Result {
	return checks.Result{ID: it.ID, Title: it.Title, Verdict: checks.Unknown,
		Evidence: checks.Evidence{Source: "runbook " + it.ID, Reason: why}}
}

// verdictOf is an item's verdict: the worst of its checks; none is UNKNOWN.
func verdictOf(rs []checks.Result) checks.Verdict {
	vs := make([]checks.Verdict, len(rs))
	for i, r := range rs {
		vs[i] = r.Verdict
	}
	return checks.Worst(vs...)
}
