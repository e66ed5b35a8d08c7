package config

import (
	"errors"
	"strings"
	"testing"
)

// No data is never green: the defaults read no Khala counter as pass, and
// each says instead what its absence means.
func TestDefaultsNeverReadSilenceAsPass(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sigs := cfg.Environments["staging"].Signals
	for name, s := range sigs {
		if s.OnNoData != PolicyHold || s.OnError != PolicyHold {
			t.Errorf("%s: on_no_data %q, on_error %q, want hold", name, s.OnNoData, s.OnError)
		}
	}
	for _, name := range []string{"drift_events", "hash_mismatch_drift", "replay_failures", "projection_write_failure_ratio"} {
		s := sigs[name]
		if s.FirstEvent == nil || s.FirstEvent.Up == "" || s.AppliesWhile != AppliesLegacyWrites {
			t.Errorf("%s: first_event %+v, applies_while %q; want the legacy exporter and legacy_writes", name, s.FirstEvent, s.AppliesWhile)
		}
	}
	if lag := sigs["projection_lag"]; !strings.HasPrefix(lag.NotJudged(), "not judged: the legacy lag summary never receives an observation") {
		t.Errorf("projection_lag: %q, want not judged with the reason", lag.NotJudged())
	}
	if sigs["rust_write_error_rate"].NotJudged() != "" {
		t.Error("a signal without required: false is not judged")
	}
}

// A deployment whose lag reporter is fixed turns the lag back on; one
// whose legacy scrape job has another name says so. Fields left out keep
// their defaults.
func TestAbsenceFieldsOverrideTheDefaults(t *testing.T) {
	src := minimal + `
signals:
  projection_lag: {required: true}
  drift_events:
    first_event: {up: 'up{job="openagents-legacy"}'}
`
	cfg, err := Parse("c.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sigs := cfg.Environments["staging"].Signals
	if lag := sigs["projection_lag"]; lag.NotJudged() != "" || lag.Crit == nil || *lag.Crit != 25 {
		t.Errorf("projection_lag with required: true: %+v", lag)
	}
	if d := sigs["drift_events"]; d.FirstEvent.Up != `up{job="openagents-legacy"}` || d.AppliesWhile != AppliesLegacyWrites {
		t.Errorf("drift_events override: %+v", d)
	}
}

// The bad day: each way of reading silence as green, or of leaving it
// unexplained, is refused with the line and the fix.
func TestAbsenceMisconfigurationsNameTheFix(t *testing.T) {
	src := minimal + `
signals:
  drift_events:
    on_no_data: pass
  replay_failures:
    first_event: {up: ""}
  queue_depth:
    query: 'max(queue_depth)'
    required: false
  hash_mismatch_drift:
    applies_while: rust_writes
  legacy_http_5xx_ratio:
    on_error: pass
`
	_, err := Parse("c.yaml", []byte(src), noEnv)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	for _, w := range []string{
		"signals.drift_events.on_no_data: pass is no longer a policy: no data is never green; for a counter created by its first event set first_event",
		"signals.legacy_http_5xx_ratio.on_error: pass is no longer a policy",
		"signals.replay_failures.first_event.up: is empty",
		"signals.queue_depth.reason: is empty: a signal with required: false says why it is not judged",
		"signals.hash_mismatch_drift.applies_while: \"rust_writes\" must be legacy_writes or empty",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}
}
