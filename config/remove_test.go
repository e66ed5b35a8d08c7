package config

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// incidentsWithoutMisrouted is the default incidents section without
// misrouted_writes, the one incident that judges misrouted_writes.
const incidentsWithoutMisrouted = `
incidents:
  critical_parity: {runbook: I1, source: parity_reports, above: 0}
  write_error_spike: {runbook: I2, authority: {rust: rust_write_error_rate, legacy: legacy_write_error_rate}, above: 0.02, for: 10m}
  frozen_writes: {runbook: I2, signal: frozen_write_refusals, above: 0, for: 2m}
`

// `signals: {name: null}` removes a default signal everywhere, and an
// environment can remove a global signal of its own; the removed signals
// are not in the environment's signals (so not sampled, shown or judged),
// and `config show` prints them null.
func TestANullSignalIsRemoved(t *testing.T) {
	src := minimal + "  production:\n    production: true\n    prometheus: {url: \"http://127.0.0.1:9091\"}\n" +
		"    rust_runtime: {url: \"http://127.0.0.1:4101\"}\n    legacy_runtime: {url: \"http://127.0.0.1:4001\"}\n" +
		incidentsWithoutMisrouted + `
signals:
  misrouted_writes: null
  queue_depth: {query: 'max(queue_depth)'}
  staging_only: {query: 'max(other)'}
`
	src = strings.Replace(src, "  staging:\n", "  staging:\n    signals: {queue_depth: null}\n", 1)
	cfg, err := Parse("c.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	staging, production := cfg.Environments["staging"].Signals, cfg.Environments["production"].Signals
	if _, ok := staging["misrouted_writes"]; ok || len(staging) != len(DefaultSignals())-1+1 {
		t.Errorf("staging signals %v, want the defaults without misrouted_writes, and staging_only", sortedKeys(staging))
	}
	if _, ok := staging["queue_depth"]; ok {
		t.Error("staging removed queue_depth and still has it")
	}
	if _, ok := production["queue_depth"]; !ok || production["misrouted_writes"] != nil {
		t.Errorf("production signals %v, want queue_depth kept and misrouted_writes removed", sortedKeys(production))
	}
	out, err := cfg.Show("staging", "json")
	if err != nil {
		t.Fatal(err)
	}
	var view struct {
		Environments map[string]struct {
			Signals map[string]*json.RawMessage `json:"signals"`
		} `json:"environments"`
	}
	if err := json.Unmarshal(out, &view); err != nil {
		t.Fatal(err)
	}
	sigs := view.Environments["staging"].Signals
	for _, name := range []string{"misrouted_writes", "queue_depth"} {
		if raw, ok := sigs[name]; !ok || raw != nil {
			t.Errorf("config show: %s is %v (present %t), want null", name, raw, ok)
		}
	}
	if sigs["drift_events"] == nil {
		t.Error("config show lost a kept signal")
	}
}

// The bad day: a removal that something still needs is refused, naming
// the signal and what reads it, unless that is removed too (the incident)
// or the environment defines the signal again; a null that removes
// nothing is a typo, named.
func TestRemovingASignalSomethingNeedsIsRefused(t *testing.T) {
	msg := problems(t, minimal+`
signals:
  misrouted_writes: null
  drift_events: null
  dirft_events: null
`)
	wantProblems(t, msg,
		`incidents.misrouted_writes.signal: signal "misrouted_writes" is removed (signals: {misrouted_writes: null}) in staging, but this incident judges it: drop the incident`,
		"signals.drift_events: removes signal drift_events (from staging), which runbook items P3 and V4 and the DRIFT pane read: keep it",
		`incidents.unbounded_drift.signal: signal "drift_events" is removed`,
		`signals.dirft_events: null removes a signal, but "dirft_events" is not a default signal or defined under signals`)
	if !strings.Contains(msg, "c.yaml:") {
		t.Errorf("problems without their lines:\n%s", msg)
	}

	// An environment removes what the runbook reads: named at its own path.
	msg = problems(t, strings.Replace(minimal, "  staging:\n", "  staging:\n    signals: {rust_write_share: null, nothing_here: null}\n", 1))
	wantProblems(t, msg,
		"environments.staging.signals.rust_write_share: removes signal rust_write_share (from staging), which runbook items S1, S2, S4 and R3 (the observed write target) and the header's write share read",
		`environments.staging.signals.nothing_here: null removes a signal, but "nothing_here" is not a signal of this environment`)

	// Removed globally, defined again where it is read: no problem.
	src := minimal + "signals:\n  drift_events: null\n"
	src = strings.Replace(src, "  staging:\n", "  staging:\n    signals: {drift_events: {query: 'sum(increase(drift_total[10m]))'}}\n", 1)
	if msg := problems(t, src); msg != "" {
		t.Errorf("a signal removed globally and defined in its only environment: %s", msg)
	}
}

// Every default signal is either read by something (and so cannot be
// removed alone) or judged only by incidents: the list of what reads them
// names no signal that is not a default.
func TestSignalUsesNameDefaultSignals(t *testing.T) {
	defaults := DefaultSignals()
	for name := range signalUses {
		if defaults[name] == nil {
			t.Errorf("signalUses names %s, not a default signal", name)
		}
	}
	var free []string
	for name := range defaults {
		if signalUses[name] == nil {
			free = append(free, name)
		}
	}
	if slices.Sort(free); !slices.Equal(free, []string{"misrouted_writes"}) {
		t.Errorf("default signals nothing but incidents read: %v, want [misrouted_writes]", free)
	}
}
