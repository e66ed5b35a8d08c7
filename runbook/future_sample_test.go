package runbook

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
)

// Issue 14, item 12: a sample from the future counted as fresh (its age
// reads zero). Every sample dated a minute ahead of the judging clock holds
// V4 and the Prometheus-fed incidents UNKNOWN "in the future (clock
// skew?)", whatever their policies; with max_clock_skew: 2m the same
// samples are judged as usual, so the config reaches the judges.
func TestAFutureSampleIsUnknownNeverFresh(t *testing.T) {
	o := goodObservation(t0)
	o.at = t0.Add(-time.Minute) // every sample is dated a minute ahead
	st := newTestEvaluator(t, false).evaluate(o)
	if v := verdicts(st)["V4"]; v != checks.Unknown {
		t.Errorf("V4 on samples from the future = %v, want UNKNOWN", v)
	}
	fromPrometheus := map[string]bool{"write_error_spike": true, "frozen_writes": true}
	for _, inc := range st.Incidents {
		if !fromPrometheus[inc.ID] {
			continue
		}
		if inc.State != IncidentUnknown || !strings.Contains(inc.Evidence, "in the future (clock skew?)") {
			t.Errorf("incident %s on samples from the future = %v (%s), want unknown, in the future (clock skew?)", inc.ID, inc.State, inc.Evidence)
		}
	}

	cfg := testConfig(t, "http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1", t.TempDir(), false)
	cfg.MaxClockSkew = config.Duration(2 * time.Minute)
	st = newEvaluator(cfg, cfg.Environments["staging"], RunbookItems()).evaluate(o)
	if v := verdicts(st)["V4"]; v != checks.Pass {
		t.Errorf("V4 a minute ahead with max_clock_skew 2m = %v, want PASS", v)
	}
	for _, inc := range st.Incidents {
		if inc.State != IncidentOK && !legacyProjection[inc.ID] {
			t.Errorf("incident %s a minute ahead with max_clock_skew 2m = %v (%s), want ok", inc.ID, inc.State, inc.Evidence)
		}
	}
}
