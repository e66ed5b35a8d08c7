package guard

import (
	"fmt"
	"strings"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// RoundOf turns one round of the engine's state into what the guard
// judges: each incident criterion with the signals it reads (their ages
// and staleness as the engine's threshold rule has them), the newest
// rollback the journal shows, a human's running step, and whether there
// is anything to roll back.
func RoundOf(cfg *config.Config, env *config.Environment, st runbook.State) Round {
	r := Round{At: st.At, Busy: busy(st), Rollback: lastRollback(st.History)}
	for _, inc := range st.Incidents {
		if inc.ID == runbook.WritersID {
			continue
		}
		c := Criterion{ID: inc.ID, Runbook: inc.Runbook, Title: inc.Title, State: inc.State,
			For: inc.For, HeldFor: inc.PendingFor, Evidence: inc.Evidence}
		if def := cfg.Incidents[inc.ID]; def != nil {
			c.Inputs = inputs(cfg, env, st, def)
		}
		r.Criteria = append(r.Criteria, c)
	}
	s1, back := st.History.Done["S1"], st.History.Done[runbook.RollbackID]
	target := st.Observed.WriteTarget.Evidence.Value
	r.CutOver = s1.After(back) || target == "rust" || target == "split"
	return r
}

// inputs are the Prometheus signals a criterion reads this round: for an
// authority criterion, those of every runtime not observed frozen (a
// superset of what the engine judges: the guard trusts no less); none for
// a source the cockpit reads itself (its verdict is the criterion's).
func inputs(cfg *config.Config, env *config.Environment, st runbook.State, inc *config.Incident) []Input {
	var names []string
	switch {
	case inc.Authority != nil:
		if st.Writers.Rust != checks.Frozen {
			names = append(names, inc.Authority.Rust)
		}
		if st.Writers.Legacy != checks.Frozen {
			names = append(names, inc.Authority.Legacy)
		}
	case inc.Signal != "":
		names = append(names, inc.Signal)
	}
	var out []Input
	for _, name := range names {
		sig := env.Signals[name]
		if sig == nil || sig.NotJudged() != "" || (sig.AppliesWhile == config.AppliesLegacyWrites && st.Writers.Legacy == checks.Frozen) {
			continue
		}
		s := st.Snapshot.Samples[name]
		in := Input{Name: name, Age: s.Age(st.At), StaleAfter: checks.StaleAfter(sig, cfg.StaleAfter.D()), Known: true}
		switch {
		case s.Err != nil:
			in.Known, in.Why = false, "query error: "+s.Err.Error()
		case !s.HasValue && sig.FirstEvent == nil:
			in.Known, in.Why = false, "no data"
		}
		out = append(out, in)
	}
	return out
}

// busy names a human's forward step the journal shows running, "" when
// none: the guard waits for it at the end of its countdown.
func busy(st runbook.State) string {
	var running []string
	for _, it := range st.Items {
		if it.Item == nil || it.Progress.State != runbook.Running || strings.HasPrefix(it.Item.ID, "R") {
			continue
		}
		running = append(running, fmt.Sprintf("%s by %s", it.Item.ID, it.Progress.Operator))
	}
	return strings.Join(running, ", ")
}

// lastRollback is the newest rollback's approval and who gave it (with
// the host and process while it runs, so two guards under one operator
// tell each other apart).
func lastRollback(h runbook.History) Rollback {
	rb := Rollback{Started: h.RollbackStarted}
	if rb.Started.IsZero() {
		return rb
	}
	for _, a := range h.Open {
		if a.Step == runbook.RollbackID && a.Approved.Equal(rb.Started) {
			rb.By = fmt.Sprintf("%s on %s (pid %d)", a.Operator, a.Host, a.PID)
			return rb
		}
	}
	rb.By = h.Last[runbook.RollbackID].Operator
	return rb
}
