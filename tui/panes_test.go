package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/runbook"
)

// colour gives the model true-colour styles, so a test can tell a value
// drawn as an alarm from one drawn muted or stale, and redraws the panes.
func colour(m *Model) {
	m.c.styles = NewStyles(colorprofile.TrueColor, true)
	m.panes.SetState(m.state)
	m.draw() // the frame is Update's; drawn again in these styles
}

// Live panes by index, as View draws them.
const (
	errorRatePane = 2
	driftPane     = 3
)

// paneOf is one live pane's lines as the next View draws them: in the wide
// layout the panes share lines, so a row is looked for in its own pane.
func paneOf(m *Model, i int) string { return strings.Join(m.panes.views(m.c.now())[i], "\n") }

// lineWith is the view's first line containing every text, "" when none does.
func lineWith(view string, texts ...string) string {
next:
	for _, l := range strings.Split(view, "\n") {
		for _, t := range texts {
			if !strings.Contains(l, t) {
				continue next
			}
		}
		return l
	}
	return ""
}

// A ratio over fewer requests than the signal's min_requests (the cockpit's
// own refused probes, say) is dimmed and labelled, never shown as an alarm.
func TestErrorRateBelowMinRequestsIsLowTrafficNotAnAlarm(t *testing.T) {
	s := healthyState()
	thin := s.Snapshot.Samples["rust_write_error_rate"]
	thin.Value, thin.Volume = 1, 3 // 100% of 3 requests; min_requests is 20
	s.Snapshot.Samples["rust_write_error_rate"] = thin

	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	colour(m)

	row := lineWith(paneOf(m, errorRatePane), "100%")
	if !strings.Contains(row, "(low traffic)") {
		t.Fatalf("the rust error rate row does not say low traffic: %q", row)
	}
	if strings.Contains(row, m.c.styles.Crit.Render("100%")) {
		t.Errorf("a low-traffic ratio is drawn as an alarm: %q", row)
	}
	if !strings.Contains(row, m.c.styles.Muted.Render("100%")) {
		t.Errorf("a low-traffic ratio is not dimmed: %q", row)
	}
}

// Rust frozen (shadow_only) answers every write 503: its 5xx ratio is those
// refusals, expected. The row says frozen and is dimmed; once Rust is the
// authority again the same ratio is an alarm.
func TestFrozenRuntimesErrorRateIsMarkedNotAnOutage(t *testing.T) {
	s := healthyState()
	s.Observed.RustWriteMode = result("mode", "rust write mode", checks.Pass, "shadow_only", 2*time.Second)
	s.Observed.LegacyFreeze = result("freeze", "legacy freeze", checks.Pass, "not frozen", 2*time.Second)
	s.Writers = runbook.Writers{Rust: checks.Frozen, Legacy: checks.Accepting}
	s.Snapshot.Samples["rust_write_error_rate"] = sample("rust_write_error_rate", 1, 2*time.Second)

	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	colour(m)
	row := lineWith(paneOf(m, errorRatePane), "rust ", "100%")
	if !strings.Contains(row, "(frozen)") || !strings.Contains(row, m.c.styles.Muted.Render("100%")) {
		t.Errorf("a frozen runtime's refusals read as an outage: %q", row)
	}
	if legacy := lineWith(paneOf(m, errorRatePane), "legacy ", "0%"); strings.Contains(legacy, "frozen") {
		t.Errorf("the accepting runtime's row is marked frozen: %q", legacy)
	}

	s.Observed.RustWriteMode = result("mode", "rust write mode", checks.Pass, "rust_active", 2*time.Second)
	s.Writers = runbook.Writers{Rust: checks.Accepting, Legacy: checks.Frozen}
	m.Update(StateMsg{Seq: m.obs.seq, State: s})
	row = lineWith(paneOf(m, errorRatePane), "rust ", "100%")
	if strings.Contains(row, "frozen") || !strings.Contains(row, m.c.styles.Crit.Render("100%")) {
		t.Errorf("the authority's 100%% error rate is not an alarm: %q", row)
	}
}

// A mode the probes cannot tell is never taken for frozen.
func TestUnknownRustModeIsNotFrozen(t *testing.T) {
	s := healthyState()
	s.Observed.RustWriteMode = result("mode", "rust write mode", checks.Unknown, "shadow_only", 2*time.Second)
	s.Writers.Rust = checks.FreezeUnknown
	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	if row := lineWith(paneOf(m, errorRatePane), "rust ", "0.3%"); row == "" || strings.Contains(row, "frozen") {
		t.Errorf("an unknown rust mode marks its row: %q", row)
	}
}

// Every ratio shows as a percentage, even for a signal configured without a
// unit: the row knows what it counts.
func TestRatioWithoutAConfiguredUnitIsAPercentage(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 200, 50)
	m.c.signals["legacy_http_5xx_ratio"].Unit = ""
	row := lineWith(paneOf(m, errorRatePane), "leg http")
	if !strings.Contains(row, "0.1%") || strings.Contains(row, "0.001") {
		t.Errorf("legacy Http5xx ratio is not a percentage: %q", row)
	}
}

// Stopped scrapes: the sampler still queries (At is fresh) but the newest
// sample behind the value is two minutes old. Sample.Age is the data's age,
// so the value turns stale; a signal whose stale_after allows two minutes
// (a source ingested late) stays fresh.
func TestSampleWithTwoMinuteOldDataIsStale(t *testing.T) {
	s := healthyState()
	old := s.Snapshot.Samples["rust_write_error_rate"]
	old.DataAt = clock.Add(-2 * time.Minute)
	s.Snapshot.Samples["rust_write_error_rate"] = old

	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	colour(m)
	if title := lineWith(m.View().Content, "ERROR RATE"); !strings.Contains(title, "STALE 2m") {
		t.Errorf("the error rate pane does not say STALE with the data's age: %q", title)
	}
	row := lineWith(paneOf(m, errorRatePane), "rust ", "0.3%")
	if !strings.Contains(row, m.c.styles.Stale.Render("0.3%")) || !strings.Contains(row, "2m") {
		t.Errorf("a two-minute-old value is not drawn stale: %q", row)
	}
	if title := lineWith(paneOf(m, driftPane), "DRIFT"); strings.Contains(title, "STALE") {
		t.Errorf("a fresh pane is stale: %q", title)
	}

	m.c.signals["rust_write_error_rate"].StaleAfter = config.Duration(3 * time.Minute)
	m.panes.SetState(s)
	if title := lineWith(paneOf(m, errorRatePane), "ERROR RATE"); strings.Contains(title, "STALE") {
		t.Errorf("stale_after 3m, data 2m old: the pane is stale: %q", title)
	}
	if row := lineWith(paneOf(m, errorRatePane), "rust ", "0.3%"); strings.Contains(row, m.c.styles.Stale.Render("0.3%")) {
		t.Errorf("stale_after 3m, data 2m old: the value is drawn stale: %q", row)
	}
}

// The share behind "writes →" and the cohort is Prometheus-fed too.
func TestStaleWriteShareMarksTargetAndCohort(t *testing.T) {
	s := healthyState()
	share := s.Snapshot.Samples["rust_write_share"]
	share.DataAt = clock.Add(-2 * time.Minute)
	s.Snapshot.Samples["rust_write_share"] = share
	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	head := strings.Split(m.View().Content, "\n")[0]
	if !strings.Contains(head, "writes → rust (stale)") || !strings.Contains(head, "cohort 100% (stale)") {
		t.Errorf("a two-minute-old share reads as current: %q", head)
	}
}

// The checkpoint row is the projector watch's verdict (P3/V4's
// projector.checkpoint_regression): a short word, its age, no sparkline.
// The endpoints are read every runbook.ProbeEvery (5s here), so the row is
// "live" until that period past the round's jitter (3s), then shows its age.
func TestCheckpointRowShowsTheProjectorVerdict(t *testing.T) {
	cases := []struct {
		name    string
		result  checks.Result
		absent  bool
		want    string
		style   func(Styles) Paint
		stale   bool
		ageText string
	}{
		{name: "watched runs ok", result: checkpoint(checks.Pass, "2 runs watched: 2 at or above their highest seq", 4*time.Second),
			want: "✔ ok", style: func(s Styles) Paint { return s.OK }, ageText: liveWord},
		{name: "a read a period late", result: checkpoint(checks.Pass, "2 runs watched: 2 at or above their highest seq", 8*time.Second),
			want: "✔ ok", style: func(s Styles) Paint { return s.OK }, ageText: "8s"},
		{name: "no run watched yet", result: checkpoint(checks.NotJudged, checks.ProjectorNoRuns, 3*time.Second),
			want: "– 0 runs watched", style: func(s Styles) Paint { return s.Stale }, ageText: liveWord},
		{name: "regressed", result: checkpoint(checks.Fail, "1 runs watched: 0 at or above their highest seq; run …: last_seq 3 < 9", 3*time.Second),
			want: "✘ REGRESSED", style: func(s Styles) Paint { return s.Crit }, ageText: liveWord},
		{name: "endpoint unreachable", result: checkpoint(checks.Unknown, "", 3*time.Second),
			want: "? unknown", style: func(s Styles) Paint { return s.Stale }, ageText: liveWord},
		{name: "old answer", result: checkpoint(checks.Pass, "2 runs watched: 2 at or above their highest seq", time.Minute),
			want: "✔ ok", style: func(s Styles) Paint { return s.Stale }, stale: true, ageText: "1m"},
		{name: "never observed", absent: true,
			want: "not observed", style: func(s Styles) Paint { return s.Stale }, stale: true, ageText: "never"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := healthyState()
			setCheckpoint(&s, tc.result)
			if tc.absent {
				s.Checkpoints = checks.Result{}
			}
			m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
			colour(m)
			if !strings.Contains(m.View().Content, tc.want) {
				t.Fatalf("the screen does not show %q", tc.want)
			}
			drift := paneOf(m, driftPane)
			row := lineWith(drift, "ckpt")
			if !strings.Contains(row, tc.style(m.c.styles).Render(tc.want)) || !strings.Contains(row, tc.ageText) {
				t.Errorf("checkpoint row %q, want %q in its style, age %s", row, tc.want, tc.ageText)
			}
			if strings.ContainsAny(row, "▁▂▃▅▆█") {
				t.Errorf("the checkpoint verdict has a sparkline: %q", row)
			}
			if title := lineWith(drift, "DRIFT"); strings.Contains(title, "STALE") != tc.stale {
				t.Errorf("DRIFT title %q, want stale=%t", title, tc.stale)
			}
		})
	}
}

// A new round replaces the checkpoint verdict: REGRESSED appears, then goes.
func TestCheckpointRowFollowsEachRound(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 100, 40)
	if row := lineWith(paneOf(m, driftPane), "ckpt"); !strings.Contains(row, "ok") {
		t.Fatalf("checkpoint row %q, want ok", row)
	}
	s := healthyState()
	setCheckpoint(&s, checkpoint(checks.Fail, "1 runs watched", 2*time.Second))
	s.Incidents[3].State = runbook.IncidentFiring
	m.Update(StateMsg{Seq: m.obs.seq, State: s})
	view := m.View().Content
	if row := lineWith(view, "ckpt"); !strings.Contains(row, "REGRESSED") {
		t.Errorf("after a regression the row says %q", row)
	}
	if inc := lineWith(view, "INCIDENT:"); !strings.Contains(inc, "I3 checkpoint FIRING ·") {
		t.Errorf("a firing checkpoint regression (no value) reads %q", inc)
	}
}

// Before the cutover no write has reached Rust, so its error ratio has no
// series at all: a frozen runtime's row says frozen, not "no data".
func TestFrozenRuntimeWithoutSeriesIsNotNoData(t *testing.T) {
	s := healthyState()
	s.Writers = runbook.Writers{Rust: checks.Frozen, Legacy: checks.Accepting}
	s.Snapshot.Samples["rust_write_error_rate"] = metrics.Sample{Signal: "rust_write_error_rate", At: clock.Add(-2 * time.Second)}
	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	row := lineWith(paneOf(m, errorRatePane), "rust ")
	if strings.Contains(row, "no data") || !strings.Contains(row, "(frozen") {
		t.Errorf("a frozen runtime without series: %q, want it marked frozen, not no data", row)
	}
	s.Writers.Rust = checks.Accepting // the authority without data is a problem
	m = newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	if row := lineWith(paneOf(m, errorRatePane), "rust "); !strings.Contains(row, "no data") {
		t.Errorf("the authority without series: %q, want no data", row)
	}
}

// Before the cutover a verification item is neutral and says what it
// awaits: not run yet is not red.
func TestAwaitingItemsAreNeutral(t *testing.T) {
	s := healthyState()
	for i := range s.Items {
		if s.Items[i].Item.ID == "V1" {
			s.Items[i].Verdict, s.Items[i].Awaits = checks.Fail, "S1"
		}
	}
	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	colour(m)
	row := lineWith(m.View().Content, "V1 ")
	if !strings.Contains(row, "AWAITS") || !strings.Contains(row, "awaits S1") || strings.Contains(row, "FAIL") {
		t.Errorf("awaiting V1 row %q, want neutral AWAITS naming S1", row)
	}
	if strings.Contains(row, m.c.styles.Crit.Render("✘")) {
		t.Errorf("awaiting V1 is drawn red: %q", row)
	}
}

// A step shows its progress from the journal: not run is neutral, a failed
// run is red, a done one says when and by whom.
func TestStepsShowTheirProgressNotRedWhenNotRun(t *testing.T) {
	s := healthyState()
	for i := range s.Items {
		switch s.Items[i].Item.ID {
		case "S1":
			s.Items[i].Verdict = checks.Fail
			s.Items[i].Progress = runbook.StepProgress{State: runbook.NotRun}
		case "S2":
			s.Items[i].Progress = runbook.StepProgress{State: runbook.Done, At: clock.Add(-time.Hour), Operator: "alice"}
		case "R1":
			s.Items[i].Progress = runbook.StepProgress{State: runbook.Failed, At: clock, Operator: "bob"}
		}
	}
	m := newTestModel(t, Options{Mode: Watch}, s, 200, 50)
	colour(m)
	view := m.View().Content
	if row := lineWith(view, "S1 "); !strings.Contains(row, "NOT RUN") || strings.Contains(row, "FAIL") ||
		strings.Contains(row, m.c.styles.Crit.Render("✘")) {
		t.Errorf("S1 not run: %q, want a neutral NOT RUN", row)
	}
	if row := lineWith(view, "S2 verify"); !strings.Contains(row, "DONE") || !strings.Contains(row, "by alice") {
		t.Errorf("S2 done: %q, want DONE with who and when", row)
	}
	if row := lineWith(view, "R1 "); !strings.Contains(row, m.c.styles.Crit.Render("✘ FAILED ")) {
		t.Errorf("R1 failed: %q, want a red FAILED", row)
	}
}
