package config

import (
	"fmt"
	"strings"
)

// signalUses are what reads each default signal by its name outside the
// signals and incidents sections: the runbook's items judge them
// (runbook/engine_evaluate.go, phase.go) and the watch screen shows them
// (tui/panes.go, panecharts.go, header.go). Removing one of them is
// refused, naming these: a step whose signal is gone would read UNKNOWN
// ("signal not configured") and hold for ever, a pane would show no data.
// A deployment that reads such a signal elsewhere overrides its query.
var signalUses = map[string][]string{
	"rust_write_error_rate":          {"runbook item V4 (the write authority's error rate)", "the ERROR RATE pane"},
	"legacy_write_error_rate":        {"runbook item V4 (the write authority's error rate)", "the ERROR RATE pane"},
	"legacy_http_5xx_ratio":          {"runbook item V4", "the ERROR RATE pane"},
	"rust_write_share":               {"runbook items S1, S2, S4 and R3 (the observed write target)", "the header's write share"},
	"frozen_write_refusals":          {"runbook items S1, S2 and S4 (a quiet write path's target)"},
	"projection_lag":                 {"runbook items P3 and V4", "the DRIFT pane"},
	"drift_events":                   {"runbook items P3 and V4", "the DRIFT pane"},
	"hash_mismatch_drift":            {"runbook item V4"},
	"projection_write_failure_ratio": {"runbook item V4"},
	"replay_failures":                {"runbook item V4"},
}

// validateRemovals checks every `signals: {name: null}`: it must remove a
// signal (a misspelt name removes nothing), and what reads a removed signal
// (signalUses) must not remain in an environment left without it; an
// environment that defines the signal again is not. Incidents are checked
// with their own signals (checkSignalDefined).
func (c *Config) validateRemovals(e *ValidationError) {
	const nothing = "null removes a signal, but %q is not %s (its signals: %s)"
	for _, name := range sortedKeys(c.removed) {
		if !c.removed[name] {
			e.add("$.signals."+name, nothing, name, "a default signal or defined under signals", strings.Join(sortedKeys(c.Signals), ", "))
		}
	}
	for _, env := range sortedKeys(c.Environments) {
		en := c.Environments[env]
		if en == nil {
			continue
		}
		for _, name := range sortedKeys(en.removed) {
			if !en.removed[name] && !c.removed[name] {
				e.add("$.environments."+env+".signals."+name, nothing, name, "a signal of this environment", strings.Join(sortedKeys(en.Signals), ", "))
			}
		}
	}
	for _, name := range sortedKeys(signalUses) {
		byPath := map[string][]string{}
		for _, env := range c.removedIn(name) {
			p := "$.signals." + name
			if c.Environments[env].removed[name] {
				p = "$.environments." + env + ".signals." + name
			}
			byPath[p] = append(byPath[p], env)
		}
		for _, p := range sortedKeys(byPath) {
			e.add(p, "removes signal %s (from %s), which %s read: keep it (override its query if this deployment exports it under another name)",
				name, strings.Join(byPath[p], ", "), joinAnd(signalUses[name]))
		}
	}
}

// removedIn are the environments that have no signal name because a
// signals section removed it.
func (c *Config) removedIn(name string) []string {
	var envs []string
	for _, env := range sortedKeys(c.Environments) {
		en := c.Environments[env]
		if en == nil {
			continue
		}
		if _, has := en.Signals[name]; !has && (c.removed[name] || en.removed[name]) {
			envs = append(envs, env)
		}
	}
	return envs
}

// withRemoved is signals with every removed name in removed written null,
// as the file wrote it: `config show` prints what the cockpit will not
// sample, and its output read back removes the same.
func withRemoved(signals map[string]*Signal, removed ...map[string]bool) map[string]*Signal {
	for _, r := range removed {
		for name, existed := range r {
			if _, has := signals[name]; existed && !has {
				signals[name] = nil
			}
		}
	}
	return signals
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// removedIncidentSignal is the problem of an incident judging a signal the
// config removed in envs.
func removedIncidentSignal(name string, envs []string) string {
	return fmt.Sprintf("signal %q is removed (signals: {%s: null}) in %s, but this incident judges it: "+
		"drop the incident (an incidents: section replaces the defaults: write it without this one) or keep the signal",
		name, name, strings.Join(envs, ", "))
}
