package runbook

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// stagingObservedItems are the required environment's items S4's gate
// observes now: S1's target (Rust rust_active, legacy frozen, writes to
// Rust) and V1–V4 passing. A journal, however signed, says what was done;
// this says the environment is still there.
var stagingObservedItems = []string{"S1", "V1", "V2", "V3", "V4"}

// requiredObservation is the required environment as last observed: its
// state, or why it cannot be observed from here.
type requiredObservation struct {
	st  *State
	err error
}

// requiredWatch observes the environment a production environment requires
// (config requires), through an engine of its own, at most once per probe
// period (freezeProbeEvery) and afresh on an action's gate re-read. One
// observation runs at a time; a round that cannot wait for it (its
// deadline comes first) takes the last one.
type requiredWatch struct {
	engine *Engine
	err    error // the engine could not be built: why it cannot be observed
	every  time.Duration
	now    func() time.Time
	turn   chan struct{} // held while observing

	mu   sync.Mutex
	at   time.Time
	last *State
}

// newRequiredWatch builds the required environment's engine with the
// production engine's collaborators (read-only when it is), reading that
// environment's journal and shared timeline; nil when env requires none.
func newRequiredWatch(cfg *config.Config, env *config.Environment, o EngineOptions) *requiredWatch {
	if !env.Production || env.Requires == "" {
		return nil
	}
	w := &requiredWatch{every: freezeProbeEvery(cfg.Refresh.D(), cfg.StaleAfter.D()), now: o.Now, turn: make(chan struct{}, 1)}
	w.engine, w.err = NewEngine(cfg, env.Requires, EngineOptions{Now: o.Now, HTTPClient: o.HTTPClient, Logger: o.Logger,
		LookupEnv: o.LookupEnv, ReadOnly: o.ReadOnly, Shared: o.StagingShared[env.Requires]})
	if w.err != nil {
		w.err = fmt.Errorf("%s cannot be observed from this machine: %w", env.Requires, w.err)
	}
	return w
}

// observe is the required environment now (or as of its last probe period).
func (w *requiredWatch) observe(ctx context.Context) requiredObservation {
	if w == nil {
		return requiredObservation{}
	}
	if w.err != nil {
		return requiredObservation{err: w.err}
	}
	select {
	case w.turn <- struct{}{}:
		defer func() { <-w.turn }()
	case <-ctx.Done():
		return requiredObservation{st: w.cached()}
	}
	if st := w.cached(); st != nil && !actionRound(ctx) && w.now().Sub(w.at) < w.every {
		return requiredObservation{st: st}
	}
	st := w.engine.Observe(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last, w.at = &st, w.now()
	return requiredObservation{st: w.last}
}

// cached is the last observation, nil before the first.
func (w *requiredWatch) cached() *State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// stagingNowMissing lists what the required environment lacks now: each
// observed item that is not PASS, with its first check that is not.
func stagingNowMissing(st *State) []string {
	var missing []string
	for _, id := range stagingObservedItems {
		is, ok := st.Item(id)
		if !ok {
			missing = append(missing, id+" not observed")
			continue
		}
		if is.Verdict == checks.Pass {
			continue
		}
		why := ""
		for _, c := range is.Checks {
			if c.Verdict != checks.Pass {
				first, _, _ := strings.Cut(strings.TrimSpace(cmp.Or(c.Evidence.Value, c.Evidence.Reason)), "\n")
				why = " (" + c.ID + " " + c.Verdict.String() + ": " + first + ")"
				break
			}
		}
		missing = append(missing, id+" "+is.Verdict.String()+" now"+why)
	}
	return missing
}

// stagingNow folds the observation into the gate: r is the journal's
// verdict; the result is PASS only when the environment is also observed
// as the runbook left it.
func stagingNow(r checks.Result, required string, obs requiredObservation) checks.Result {
	switch {
	case obs.err != nil:
		r.Evidence.Reason = strings.TrimSpace(r.Evidence.Reason + " " + obs.err.Error())
		if r.Verdict == checks.Pass {
			r.Verdict = checks.Unknown
		}
		return r
	case obs.st == nil:
		if r.Verdict == checks.Pass {
			r.Verdict = checks.Unknown
			r.Evidence.Reason = required + " not observed yet"
		}
		return r
	}
	r.Evidence.Source += " and " + required + " observed now"
	if missing := stagingNowMissing(obs.st); len(missing) > 0 {
		r.Verdict = checks.Fail
		r.Evidence.Value = strings.TrimSpace(r.Evidence.Value + "; " + required + " now: " + strings.Join(missing, ", "))
		return r
	}
	r.Evidence.Value += "; " + required + " observed now: S1's target and V1–V4 PASS"
	return r
}
