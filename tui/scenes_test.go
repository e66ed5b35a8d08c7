package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// The scenes an operator meets in a cutover, drawn at the sizes on-call
// laptops have. Each is a golden (regenerate with `go test ./tui -update`)
// and each is held to the screen's guarantees: the header and `q quit` are
// on screen, a step not run is never red, and a confirm dialog shows its
// failing gate and its keys.
var sceneSizes = [][2]int{{80, 24}, {120, 40}, {200, 50}}

// runbookItems is every item of the runbook with a check of the verdict
// given per ID (PASS when not named) and, for steps, a progress.
func runbookItems(verdicts map[string]checks.Verdict, progress map[string]runbook.StepProgress, awaits string) []runbook.ItemStatus {
	var out []runbook.ItemStatus
	for _, it := range runbook.RunbookItems() {
		if it.Kind == runbook.Incident {
			continue
		}
		v, ok := verdicts[it.ID]
		if !ok {
			v = checks.Pass
		}
		value := "ok"
		if it.ID == "P4" && v == checks.Unknown {
			value = ""
		}
		r := result(it.ID+".check", it.Title, v, value, 3*time.Second)
		if value == "" {
			r.Evidence.Reason = "no database configured (set DB_URL)"
		}
		is := runbook.ItemStatus{Item: it, Verdict: v, Checks: []checks.Result{r}}
		if it.Kind == runbook.Step || it.Kind == runbook.Rollback {
			is.Progress = runbook.StepProgress{State: runbook.NotRun}
			if p, ok := progress[it.ID]; ok {
				is.Progress = p
			}
		}
		if it.Kind == runbook.Verification && awaits != "" {
			is.Awaits = awaits
		}
		out = append(out, is)
	}
	return out
}

// freshWorld is a staging world before the cutover: Rust shadow_only,
// legacy taking writes, nothing run, the checklist awaiting S1, P4
// UNKNOWN (no database configured).
func freshWorld() runbook.State {
	s := healthyState()
	age := 2 * time.Second
	s.Observed = runbook.Observed{
		RustWriteMode: result("mode", "rust write mode", checks.Pass, "shadow_only", age),
		LegacyFreeze:  result("freeze", "legacy freeze", checks.Pass, "not frozen", age),
		WriteTarget:   result("target", "write target", checks.Pass, "legacy", age),
	}
	s.Writers = runbook.Writers{Rust: checks.Frozen, Legacy: checks.Accepting}
	s.Items = runbookItems(map[string]checks.Verdict{"P4": checks.Unknown, "S1": checks.Fail, "S2": checks.Fail,
		"V1": checks.Fail, "V2": checks.Fail, "R4": checks.Fail}, nil, "S1")
	s.Snapshot.Samples["rust_write_share"] = sample("rust_write_share", 0, age)
	return s
}

// afterS1 is the world S1 left: Rust the authority, legacy frozen, S1 done
// by alice, the checklist passing.
func afterS1() runbook.State {
	s := healthyState()
	s.Items = runbookItems(map[string]checks.Verdict{"S2": checks.Fail, "S3": checks.Fail, "S4": checks.Fail,
		"R1": checks.Fail, "R2": checks.Fail, "R3": checks.Fail, "R4": checks.Fail},
		map[string]runbook.StepProgress{"S1": {State: runbook.Done, At: clock.Add(-4 * time.Minute), Operator: "alice"}}, "")
	return s
}

// firingAfterS1 is afterS1 with the write error spike firing.
func firingAfterS1() runbook.State {
	s := firingState()
	s.Items = afterS1().Items
	return s
}

// failingGatePlan is S1's plan while P4 cannot be read.
func failingGatePlan() executor.Plan {
	p := greenPlan(false)
	p.Item = runbook.FindItem(runbook.RunbookItems(), "S1")
	p.GatesGreen = false
	p.Calls[0].Argv = []string{"gcloud", "run", "services", "update", "runtime", "--project", "openagents-staging",
		"--region", "us-central1", "--update-env-vars", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active"}
	p.Calls = append(p.Calls, executor.Call{Actuator: "set_legacy_freeze",
		Argv:        []string{"gcloud", "run", "services", "update", "runtime-legacy", "--project", "openagents-staging", "--update-env-vars", "RUNTIME_SYNC_REVOKE_ENABLED=false"},
		Description: "legacy write freeze → frozen"})
	p.Gates = []checks.Result{
		result("P1.check", "parity gate allow", checks.Pass, "allow", 5*time.Second),
		result("P2.check", "no critical parity diffs", checks.Pass, "0", 5*time.Second),
		result("P3.check", "health/readiness/projector", checks.Pass, "ok", 2*time.Second),
		{ID: "P4.check", Title: "DB role isolation", Verdict: checks.Unknown, ObservedAt: clock,
			Evidence: checks.Evidence{Source: "database", Reason: "no database configured (set DB_URL)"}},
	}
	return p
}

type scene struct {
	name  string
	state func() runbook.State
	act   func(t *testing.T, m *Model)
	// want is text the scene must show at every size.
	want []string
}

func scenes() []scene {
	return []scene{
		{name: "fresh", state: freshWorld, want: []string{"before the cutover", "NOT RUN", "AWAITS"}},
		{name: "after_s1", state: afterS1, want: []string{"S1 done at 13:59", "by alice"}},
		{name: "confirm_s1_p4_unknown", state: freshWorld, act: openS1Confirm,
			want: []string{"CONFIRM S1", "P4.check UNKNOWN", "override reason", "enter confirm · esc cancel"}},
		{name: "evidence", state: afterS1, act: func(t *testing.T, m *Model) {
			selectItem(t, m, "V4")
			m.Update(keyFor(m.keys.Evidence))
		}, want: []string{"EVIDENCE V4", "age 3s"}},
		{name: "firing_incident", state: firingAfterS1, want: []string{"INCIDENT: I2 write error spike FIRING", "rollback recommended"}},
		{name: "rollback_in_progress", state: firingAfterS1, act: startRollback,
			want: []string{"rollback running", "RUNNING rollback › R2"}},
		{name: "help", state: afterS1, act: func(_ *testing.T, m *Model) { m.Update(keyFor(m.keys.Help)) },
			want: []string{"KEYS", "CONFIRM DIALOG", "press any key to close"}},
		{name: "timeline", state: afterS1, act: func(_ *testing.T, m *Model) {
			m.Update(journalMsg{Records: cutoverJournal()})
			m.Update(keyFor(m.keys.Timeline))
		}, want: []string{"override S1 by alice", "outcome S1", "P4 UNKNOWN → PASS", "VERDICT CHANGES"}},
	}
}

// cutoverJournal is a morning's journal: sessions, a flapping check, S1
// with an override, its outcome, an incident's verdicts.
func cutoverJournal() []journal.Record {
	at := func(m int) time.Time { return clock.Add(time.Duration(m-30) * time.Minute) }
	ok := true
	recs := []journal.Record{
		{Time: at(0), Kind: journal.KindSession, Operator: "alice", Message: "operate --env staging"},
		{Time: at(1), Kind: journal.KindVerdict, Check: "P4", Verdict: "UNKNOWN"},
		{Time: at(2), Kind: journal.KindVerdict, Check: "P4", Verdict: "PASS"},
	}
	for i := range 6 {
		v := []string{"FAIL", "WARN", "PASS"}[i%3]
		recs = append(recs, journal.Record{Time: at(3 + i), Kind: journal.KindVerdict, Check: "V4", Verdict: v, Evidence: "sum(rate(run_googleapis_com:request_count[5m]))"})
	}
	return append(recs,
		journal.Record{Time: at(10), Kind: journal.KindApproval, Step: "S1", Operator: "alice", Message: "approved via tui"},
		journal.Record{Time: at(10), Kind: journal.KindOverride, Step: "S1", Operator: "alice", Reason: "P4 read by hand: roles isolated"},
		journal.Record{Time: at(10), Kind: journal.KindIntent, Step: "S1", Operator: "alice", Message: "set_rust_write_mode=rust_active, set_legacy_freeze=true"},
		journal.Record{Time: at(11), Kind: journal.KindOutcome, Step: "S1", OK: &ok, Message: "S1 done: 2 sub-steps verified"},
		journal.Record{Time: at(20), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "pending"},
		journal.Record{Time: at(21), Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "ok"},
	)
}

func TestGoldenScenes(t *testing.T) {
	for _, sc := range scenes() {
		for _, size := range sceneSizes {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, w, h), func(t *testing.T) {
				m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: failingGatePlan()}}, sc.state(), w, h)
				if sc.act != nil {
					sc.act(t, m)
				}
				view := m.View().Content
				checkGuarantees(t, view, w, h)
				for _, want := range sc.want {
					if !strings.Contains(view, want) {
						t.Errorf("%s at %dx%d lacks %q:\n%s", sc.name, w, h, want, view)
					}
				}
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}

// checkGuarantees holds a frame to what 80×24 and up promise.
func checkGuarantees(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d rows", w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%dx%d: row %d is %d cells wide", w, h, i, n)
		}
	}
	head := lines[0]
	for _, part := range []string{"OPERATE", "staging", "rust", "legacy", "→", "%"} {
		if !strings.Contains(head, part) {
			t.Errorf("%dx%d: the header lacks %q: %q", w, h, part, head)
		}
	}
	if strings.Contains(head, "…") {
		t.Errorf("%dx%d: the header is cut: %q", w, h, head)
	}
	foot := lines[h-1]
	if !strings.Contains(foot, "? help") || !strings.Contains(foot, "q quit") {
		t.Errorf("%dx%d: the footer lacks ? help or q quit: %q", w, h, foot)
	}
	for _, l := range lines {
		for _, neutral := range []string{"NOT RUN", "AWAITS", "N/A", "QUEUED"} {
			if strings.Contains(l, neutral) && (strings.Contains(l, "✘") || strings.Contains(l, "FAIL")) {
				t.Errorf("%dx%d: an item that has not run (%s) reads red: %q", w, h, neutral, l)
			}
		}
	}
}

func selectItem(t *testing.T, m *Model, id string) {
	t.Helper()
	for range 40 {
		if it := m.list.Selected(); it != nil && it.ID == id {
			return
		}
		m.Update(keyFor(m.keys.Down))
	}
	t.Fatalf("item %s not in the list", id)
}

// openS1Confirm selects S1 and opens its dialog, as Enter does.
func openS1Confirm(t *testing.T, m *Model) {
	selectItem(t, m, "S1")
	_, cmd := m.Update(keyFor(m.keys.Run))
	m.Update(cmd())
	if m.dialog == nil {
		t.Fatal("no confirm dialog after Enter on S1")
	}
	m.dialog.opened = m.dialog.opened.Add(-confirmGrace) // read long enough: its confirm keys show
	m.draw()                                             // the frame is Update's; drawn again past the grace
}

// startRollback confirms a rollback (past the dialog's grace) and delivers
// the executor's report that R2 is under way.
func startRollback(t *testing.T, m *Model) {
	_, cmd := m.Update(keyFor(m.keys.Rollback))
	m.Update(cmd())
	if m.dialog == nil {
		t.Fatal("no confirm dialog after r")
	}
	m.c.now = func() time.Time { return clock.Add(time.Second) }
	typeText(m, "error spike firing")
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if m.action == nil {
		t.Fatalf("the rollback did not start: %s", m.status)
	}
	m.action.started = clock.Add(-71 * time.Second)
	m.c.now = func() time.Time { return clock }
	m.Update(progressMsg{Progress: executor.Progress{Step: "rollback", SubStep: "R2", Message: "set legacy write freeze → not frozen: waiting for /healthz",
		At: clock.Add(-2 * time.Second)}})
}

// A step not run is not red in its evidence either: its target state,
// observed now, is said without a verdict's colour; the runbook's words
// keep their lines.
func TestTheEvidenceOfAStepNotRunIsNotRed(t *testing.T) {
	s := freshWorld()
	for i := range s.Items {
		if s.Items[i].Item.ID == "S1" {
			s.Items[i].Checks[0].Verdict = checks.Fail
		}
	}
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 80, 24)
	colour(m)
	selectItem(t, m, "S1")
	m.Update(keyFor(m.keys.Evidence))
	view := m.View().Content
	if !strings.Contains(view, "the step has not run") || strings.Contains(view, m.c.styles.Crit.Render("✘ FAIL")) {
		t.Errorf("S1 not run: its evidence is red or unexplained:\n%s", view)
	}
	if strings.Contains(view, "⏎") {
		t.Errorf("the runbook's words lost their lines:\n%s", view)
	}
}

// Another operator's running step (from the shared timeline) is in the
// header where there is room, and in the runbook's title at every width.
func TestTheHeaderSaysWhoHoldsTheLock(t *testing.T) {
	s := freshWorld()
	for i := range s.Items {
		if s.Items[i].Item.ID == "S1" {
			s.Items[i].Progress = runbook.StepProgress{State: runbook.Running, At: clock.Add(-time.Minute), Operator: "alice",
				Detail: "route_writes=rust"}
		}
	}
	o := Options{Mode: Operate, Actor: &fakeActor{}} // an operator's screen on another machine
	wide := newTestModel(t, o, s, 200, 50).View().Content
	if head := strings.Split(wide, "\n")[0]; !strings.Contains(head, "lock: S1 by alice since 14:02") {
		t.Errorf("200 columns: the header does not say who holds the lock: %q", head)
	}
	narrow := newTestModel(t, o, s, 80, 24).View().Content
	checkGuarantees(t, narrow, 80, 24)
	if !strings.Contains(narrow, "S1 running since 14:02 by alice · route_writes=rust") {
		t.Errorf("80 columns: the runbook title does not say who runs S1:\n%s", narrow)
	}
}
