package runbook

import (
	"context"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
)

// maxFreezeProbeEvery caps how seldom the safe frozen probes run while
// watching. Each probe is a refused write (503 on a frozen Rust runtime),
// which the runtimes count like any other; probing every tick would add a
// steady stream of 5xx to the very error rate the incident criteria watch.
// They run at half the staleness limit, so their results never show stale;
// post-verification after an action probes on every poll instead.
const maxFreezeProbeEvery = 15 * time.Second

// freezeProbeEvery is the probe period for a config: half of stale_after,
// at least one refresh, at most maxFreezeProbeEvery.
func freezeProbeEvery(refresh, staleAfter time.Duration) time.Duration {
	return min(max(staleAfter/2, refresh), maxFreezeProbeEvery)
}

// freezeCache holds the last safe frozen probe results with their own
// observation times, so their evidence shows its true age.
type freezeCache struct {
	mu           sync.Mutex
	at           time.Time
	rustFreeze   checks.FreezeState
	rustFrozen   checks.Result
	legacyFreeze checks.FreezeState
	legacyFrozen checks.Result
}

type freshProbesKey struct{}

// withFreshProbes asks Observe to run the frozen probes now: the executor's
// post-verification must see the state an action left, not a cached one.
func withFreshProbes(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshProbesKey{}, true)
}

// actionRound says whether an action's post-verification asked for this
// round (withFreshProbes).
func actionRound(ctx context.Context) bool {
	fresh, _ := ctx.Value(freshProbesKey{}).(bool)
	return fresh
}

// freezeProbes fills o's frozen probe results, from the cache when it is
// younger than the probe period and no fresh look was asked for.
func (e *Engine) freezeProbes(ctx context.Context, o *observation) {
	c := &e.freeze
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := actionRound(ctx)
	if fresh || c.at.IsZero() || e.now().Sub(c.at) >= freezeProbeEvery(e.cfg.Refresh.D(), e.cfg.StaleAfter.D()) || c.rustFreeze == checks.FreezeUnknown || c.legacyFreeze == checks.FreezeUnknown {
		var wg sync.WaitGroup
		wg.Go(func() { c.rustFreeze, c.rustFrozen = e.probes.RustFrozen(ctx) })
		wg.Go(func() { c.legacyFreeze, c.legacyFrozen = e.probes.LegacyFrozen(ctx) })
		wg.Wait()
		c.at = e.now()
	}
	o.rustFreeze, o.rustFrozen = c.rustFreeze, c.rustFrozen
	o.legacyFreeze, o.legacyFrozen = c.legacyFreeze, c.legacyFrozen
}
