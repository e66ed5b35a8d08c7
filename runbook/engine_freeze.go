package runbook

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
)

// maxFreezeProbeEvery caps how seldom the safe frozen probes run while
// operating. Each probe is a refused write (503 on a frozen Rust runtime),
// which the runtimes count like any other; probing every tick would add a
// steady stream of 5xx to the very error rate the incident criteria watch.
// They run at half the staleness limit, so their results never show stale;
// post-verification after an action probes on every poll instead. A
// read-only engine (watch) never sends them: it reads what operating
// processes journaled.
const maxFreezeProbeEvery = 15 * time.Second

// freezeProbeEvery is the probe period for a config: half of stale_after,
// at least one refresh, at most maxFreezeProbeEvery.
func freezeProbeEvery(refresh, staleAfter time.Duration) time.Duration {
	return min(max(staleAfter/2, refresh), maxFreezeProbeEvery)
}

// ProbeEvery is how often a round reads the sources it does not read every
// round (the projector endpoints, the safe freeze probes) for a config's
// refresh and stale_after: between two reads their results age by design,
// which the screen shows as no news rather than as a count.
func ProbeEvery(refresh, staleAfter time.Duration) time.Duration {
	return freezeProbeEvery(refresh, staleAfter)
}

// probeSide is one safe frozen probe's last answer, with its own time, and
// what of it was last journaled.
type probeSide struct {
	at     time.Time // when it was last sent; zero: never
	state  checks.FreezeState
	result checks.Result

	journaled   bool
	journaledAs checks.FreezeState
	journaledAt time.Time
}

// freezeCache holds the last safe frozen probe results, each side with its
// own observation time, so their evidence shows its true age and one side
// that could not tell does not make the other be probed again.
type freezeCache struct {
	mu     sync.Mutex
	rust   probeSide
	legacy probeSide
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

// freezeProbes fills o's frozen probe results. Each side is probed again
// when its own answer is a probe period old (or a fresh look was asked
// for); otherwise its cached answer is used. Answers that changed are
// journaled for read-only processes.
func (e *Engine) freezeProbes(ctx context.Context, o *observation) {
	c := &e.freeze
	c.mu.Lock()
	fresh := actionRound(ctx)
	every := freezeProbeEvery(e.cfg.Refresh.D(), e.cfg.StaleAfter.D())
	now := e.now()
	if e.reuseProbes && !fresh && (c.rust.at.IsZero() || c.legacy.at.IsZero()) {
		h := e.history.Read()
		if e.rustAgrees(ctx, h.RustFrozenProbe.State) {
			e.reuseJournaled(&c.rust, "rust_frozen", "rust write path", probeRustFrozen, h.RustFrozenProbe, now, every)
		}
		e.reuseJournaled(&c.legacy, "legacy_frozen", "legacy write path", probeLegacyFrozen, h.LegacyFrozenProbe, now, every)
	}
	due := func(s *probeSide) bool { return fresh || s.at.IsZero() || now.Sub(s.at) >= every }
	var wg sync.WaitGroup
	if due(&c.rust) {
		wg.Go(func() {
			c.rust.state, c.rust.result = e.probes.RustFrozen(ctx)
			c.rust.at = e.now()
		})
	}
	if due(&c.legacy) {
		wg.Go(func() {
			c.legacy.state, c.legacy.result = e.probes.LegacyFrozen(ctx)
			c.legacy.at = e.now()
		})
	}
	wg.Wait()
	o.rustFreeze, o.rustFrozen = c.rust.state, c.rust.result
	o.legacyFreeze, o.legacyFrozen = c.legacy.state, c.legacy.result
	var recs []journal.Record
	for _, s := range []struct {
		check string
		side  *probeSide
	}{{probeRustFrozen, &c.rust}, {probeLegacyFrozen, &c.legacy}} {
		if rec, ok := e.probeRecord(s.check, s.side); ok {
			recs = append(recs, rec)
		}
	}
	c.mu.Unlock()
	for _, rec := range recs {
		if err := e.probeJournal.Append(rec); err != nil {
			e.logger.Error("journaling a frozen probe's answer", "check", rec.Check, "err", err)
		}
	}
}

// reuseJournaled gives a one-shot check's side the answer an operating
// process (or an earlier `check`) journaled, when it is younger than the
// probe period and told the state: each safe probe is a refused write the
// runtime counts, so a script polling `check` must not send one per frozen
// runtime on every call. Called under the cache lock.
func (e *Engine) reuseJournaled(s *probeSide, id, title, check string, p JournaledProbe, now time.Time, every time.Duration) {
	if !s.at.IsZero() || p.At.IsZero() || p.State == checks.FreezeUnknown || now.Sub(p.At) >= every || p.At.After(now) {
		return
	}
	s.state, s.result = e.journaledProbe(id, title, check, p, now)
	s.at, s.journaled, s.journaledAs, s.journaledAt = p.At, true, p.State, p.At
}

// rustAgrees says whether /healthz (a read, counted nowhere it matters)
// still shows the Rust write state a journaled answer told: a mode changed
// since, by anyone, is probed again rather than reused.
func (e *Engine) rustAgrees(ctx context.Context, journaled checks.FreezeState) bool {
	h, res := e.probes.RustHealth(ctx)
	if res.Verdict == checks.Unknown || h.Mode == "" {
		return false
	}
	return (journaled == checks.Accepting) == h.WriterActive
}

// probeRecord is the journal record for a side's answer when a read-only
// process needs it: the answer changed, or the last one journaled is half
// stale_after old (so a watcher never shows stale while this process
// probes). Engines without a journal journal nothing. Called under the
// cache lock; marks the side journaled.
func (e *Engine) probeRecord(check string, s *probeSide) (journal.Record, bool) {
	if e.probeJournal == nil || s.at.IsZero() {
		return journal.Record{}, false
	}
	at := cmp.Or(s.result.ObservedAt, s.at)
	if s.journaled && s.journaledAs == s.state && at.Sub(s.journaledAt) < e.cfg.StaleAfter.D()/2 {
		return journal.Record{}, false
	}
	s.journaled, s.journaledAs, s.journaledAt = true, s.state, at
	return journal.Record{Time: at, Kind: journal.KindVerdict, Env: e.env.Name, Check: check,
		Verdict: s.state.String(), Evidence: s.result.Evidence.String()}, true
}

// journaledFreeze fills o's frozen probe results from the journal, for a
// read-only engine: the newest answer an operating process journaled, shown
// with its age. One older than stale_after is UNKNOWN, never PASS.
func (e *Engine) journaledFreeze(o *observation) {
	now := e.now()
	o.rustFreeze, o.rustFrozen = e.journaledProbe("rust_frozen", "rust write path", probeRustFrozen, o.history.RustFrozenProbe, now)
	o.legacyFreeze, o.legacyFrozen = e.journaledProbe("legacy_frozen", "legacy write path", probeLegacyFrozen, o.history.LegacyFrozenProbe, now)
}

func (e *Engine) journaledProbe(id, title, check string, p JournaledProbe, now time.Time) (checks.FreezeState, checks.Result) {
	stale := e.cfg.StaleAfter.D()
	r := checks.Result{ID: id, Title: title, ObservedAt: p.At, Verdict: checks.Unknown,
		Evidence: checks.Evidence{Source: "journal " + check,
			Rule: "read-only: the newest answer an operating process journaled; stale after " + checks.ShortDuration(stale)}}
	if p.At.IsZero() {
		r.Evidence.Reason = "watch sends no write probe, and no operating process (operate, run, rollback) has journaled one"
		return checks.FreezeUnknown, r
	}
	by := p.Operator
	if p.Host != "" {
		by += "@" + p.Host
	}
	r.Evidence.Value = fmt.Sprintf("%s, probed by %s: %s", p.State, cmp.Or(by, "an operating process"), p.Evidence)
	switch age := now.Sub(p.At); {
	case age > stale:
		r.Evidence.Reason = fmt.Sprintf("stale: journaled %s ago > stale_after %s; no operating process is probing",
			checks.FormatAge(age), checks.ShortDuration(stale))
		return checks.FreezeUnknown, r
	case p.State == checks.FreezeUnknown:
		r.Evidence.Reason = "the operating process's probe could not tell"
		return checks.FreezeUnknown, r
	}
	r.Verdict = checks.Pass
	return p.State, r
}
