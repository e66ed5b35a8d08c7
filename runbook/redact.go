package runbook

import (
	"maps"
	"slices"

	"github.com/openagents/cockpit/checks"
)

// Redacted is s with hide applied to every text in it that came from
// outside and may quote a secret: evidence (a source URL, an error quoting
// one), progress details, sample errors and warnings, where it came from.
// The screen and the shared observation feed get this, so a round
// published to the team's database carries no secret either. Slices and
// maps it changes are copied: the engine's own values are never written.
func (s State) Redacted(hide func(string) string) State {
	o := &s.Observed
	o.RustWriteMode, o.LegacyFreeze, o.WriteTarget = redactResult(o.RustWriteMode, hide),
		redactResult(o.LegacyFreeze, hide), redactResult(o.WriteTarget, hide)
	s.Items = slices.Clone(s.Items)
	for i := range s.Items {
		s.Items[i].Checks = redactResults(s.Items[i].Checks, hide)
		s.Items[i].Progress.Detail = hide(s.Items[i].Progress.Detail)
	}
	s.Incidents = slices.Clone(s.Incidents)
	for i := range s.Incidents {
		s.Incidents[i].Evidence = hide(s.Incidents[i].Evidence)
	}
	s.Snapshot.Samples = maps.Clone(s.Snapshot.Samples)
	for name, smp := range s.Snapshot.Samples {
		if smp.Err != nil {
			smp.Err = redactedError{err: smp.Err, msg: hide(smp.Err.Error())}
		}
		smp.Warnings = slices.Clone(smp.Warnings)
		for i, w := range smp.Warnings {
			smp.Warnings[i] = hide(w)
		}
		s.Snapshot.Samples[name] = smp
	}
	s.Parity.Result = redactResult(s.Parity.Result, hide)
	s.Health = redactResults(s.Health, hide)
	s.Checkpoints, s.Staging = redactResult(s.Checkpoints, hide), redactResult(s.Staging, hide)
	s.Source = hide(s.Source)
	return s
}

func redactResults(rs []checks.Result, hide func(string) string) []checks.Result {
	rs = slices.Clone(rs)
	for i := range rs {
		rs[i] = redactResult(rs[i], hide)
	}
	return rs
}

func redactResult(r checks.Result, hide func(string) string) checks.Result {
	e := &r.Evidence
	e.Source, e.Value, e.Rule, e.Reason = hide(e.Source), hide(e.Value), hide(e.Rule), hide(e.Reason)
	return r
}

// redactedError says what err says with its secrets hidden, and is still
// err to errors.Is and errors.As (a *metrics.QueryError keeps its type).
type redactedError struct {
	err error
	msg string
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
