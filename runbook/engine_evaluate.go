package runbook

import (
	"fmt"
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

	mu         sync.Mutex
	thresholds map[string]*checks.ThresholdCheck
	incidents  []*incidentRule
}

func newEvaluator(cfg *config.Config, env *config.Environment, items []*Item) *evaluator {
	ev := &evaluator{
		env:        env,
		items:      items,
		staleAfter: cfg.StaleAfter.D(),
		thresholds: make(map[string]*checks.ThresholdCheck, len(env.Signals)),
		incidents:  newIncidentRules(cfg.Incidents, env.Signals),
	}
	for name, sig := range env.Signals {
		ev.thresholds[name] = checks.NewThresholdCheck(sig, ev.staleAfter)
	}
	return ev
}

// round is the judging of one observation; it evaluates each signal once.
type round struct {
	ev      *evaluator
	o       observation
	signals map[string]checks.Result
}

func (ev *evaluator) evaluate(o observation) State {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	r := &round{ev: ev, o: o, signals: map[string]checks.Result{}}
	st := State{
		Env:        ev.env.Name,
		Production: ev.env.Production,
		Snapshot:   o.snapshot,
		Parity:     parityStatus(o.parity),
		Health:     []checks.Result{o.rustHealth, o.rustReady, o.legacyHealth},
		At:         o.at,
	}
	st.Observed = r.observed()
	for _, it := range ev.items {
		if it.Kind == Incident {
			continue
		}
		cs := r.itemChecks(it, st.Observed)
		st.Items = append(st.Items, ItemStatus{Item: it, Verdict: verdictOf(cs), Checks: cs})
	}
	st.Incidents = ev.evaluateIncidents(o.snapshot, o.at)
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
	res := tc.Evaluate(r.o.snapshot.Samples[name], r.o.at)
	r.signals[name] = res
	return res
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
		return []checks.Result{o.parity.NoCritical, r.signal("parity_critical")}
	case "P3":
		return []checks.Result{o.rustHealth, o.rustReady, o.legacyHealth,
			r.signal("drift_events"), r.signal("checkpoint_regression"), r.signal("projection_lag_p95")}
	case "P4":
		return o.db
	case "V1":
		return r.rustAccepts()
	case "V2":
		return []checks.Result{freezeCheck("legacy.frozen", "legacy mutation routes answer 410", o.legacyFrozen, o.legacyFreeze, checks.Frozen)}
	case "V3":
		return []checks.Result{o.parity.WithinThresholds}
	case "V4":
		return []checks.Result{r.signal("write_error_rate"), r.signal("drift_events"),
			r.signal("checkpoint_regression"), r.signal("projection_lag_p95")}
	case "S1":
		return r.rustAuthority(obs)
	case "S2":
		return append(r.rustAuthority(obs), r.rustAccepts()...)
	case "S3":
		return []checks.Result{o.parity.Gate, o.parity.WithinThresholds}
	case "S4":
		if !r.ev.env.Production {
			return []checks.Result{notHere(it, "observed in a production environment (production: true)")}
		}
		return r.rustAuthority(obs)
	case "R1":
		return []checks.Result{
			modeCheck(o.rustHealth, o.rust.Mode, "shadow_only", "read_only"),
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
		modeCheck(r.o.rustHealth, r.o.rust.Mode, "rust_active"),
		freezeCheck("legacy.frozen", "legacy mutation routes answer 410", r.o.legacyFrozen, r.o.legacyFreeze, checks.Frozen),
		targetCheck(obs.WriteTarget, "rust"),
	}
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

// modeCheck judges /healthz authority_write_mode against the wanted modes.
func modeCheck(health checks.Result, mode string, want ...string) checks.Result {
	r := health
	r.ID, r.Title = "rust.mode", "rust authority write mode"
	r.Evidence.Value = "authority_write_mode=" + mode
	r.Evidence.Rule = fmt.Sprintf("want %v", want)
	if health.Verdict == checks.Unknown || mode == "" {
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
