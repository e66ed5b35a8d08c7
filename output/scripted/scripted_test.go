package scripted

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

var (
	plain  = output.NewPainter(false, func(string) string { return "" })
	colour = output.NewPainter(true, func(string) string { return "" })
	now    = time.Date(2026, 12, 7, 14, 30, 0, 0, time.UTC)
)

// render is rep as the -o format name prints it through p.
func render[R any](t *testing.T, r output.Registry[func(io.Writer, output.Painter, R) error], name string, p output.Painter, rep R) string {
	t.Helper()
	write, err := r.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := write(&b, p, rep); err != nil {
		t.Fatalf("-o %s: %v", name, err)
	}
	return b.String()
}

// item is one runbook item whose single check has verdict v, observed 3s ago.
func item(id string, v checks.Verdict) runbook.ItemStatus {
	return runbook.ItemStatus{Item: runbook.FindItem(runbook.RunbookItems(), id), Verdict: v,
		Checks: []checks.Result{{ID: id + ".check", Title: id + " check", Verdict: v, ObservedAt: now.Add(-3 * time.Second),
			Evidence: checks.Evidence{Source: "q", Value: "1", Rule: "== 1"}}}}
}

// A check report lists the kinds asked for, in that order, with the
// incidents' runbook ids; never-observed data has a null age and reads
// "never"; the overall verdict is the worst one.
func TestCheckReportAndText(t *testing.T) {
	st := runbook.State{Env: "staging", At: now,
		Items: []runbook.ItemStatus{item("P1", checks.Pass), item("V1", checks.Pass)},
		Incidents: []runbook.IncidentStatus{
			{ID: "write_error_spike", Runbook: "I1", Title: "Write errors", State: runbook.IncidentFiring, Evidence: "5% > 1%", At: now.Add(-2 * time.Second)},
			{ID: "lag", Runbook: "I2", Title: "Lag", State: runbook.IncidentUnknown, Evidence: "no data"},
		}}
	rep, vs := Check(st, []runbook.Kind{runbook.Precondition, runbook.Incident})
	var ids []string
	for _, l := range rep.Checks {
		ids = append(ids, l.ID)
	}
	if got := strings.Join(ids, " "); got != "P1 I1 I2" || rep.Verdict != "FAIL" || len(vs) != 3 {
		t.Fatalf("report: checks %q verdict %s counted %v", got, rep.Verdict, vs)
	}
	if rep.Checks[0].Details[0].ID != "P1.check" || *rep.Checks[0].Age != 3 {
		t.Errorf("P1 line: %+v", rep.Checks[0])
	}
	text := render(t, CheckFormats, "text", plain, rep)
	lines := strings.Split(text, "\n")
	for i, want := range map[int]string{
		1: "I1  FAIL    Write errors (write_error_spike) — 5% > 1% (2s)",
		2: "I2  UNKNOWN Lag (lag) — no data (never)",
		3: "staging: FAIL",
		4: "",
	} {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[0], "P1  PASS    ") || !strings.HasSuffix(lines[0], " (3s)") || len(lines) != 5 {
		t.Errorf("text:\n%s", text)
	}
	if text = render(t, CheckFormats, "text", colour, rep); !strings.Contains(text, "\x1b[") || !strings.Contains(text, "staging: ") {
		t.Errorf("a terminal's text is not coloured:\n%q", text)
	}
	js := render(t, CheckFormats, "json", colour, rep)
	var back struct {
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal([]byte(js), &back); err != nil || strings.Contains(js, "\x1b") {
		t.Fatalf("json: %v\n%s", err, js)
	}
	if age, ok := back.Checks[2]["age_seconds"]; !ok || age != nil {
		t.Errorf("a never-observed criterion's age_seconds is %v (present %v), want null", age, ok)
	}
}

// A verification item awaiting its step reads AWAITS and counts as PASS,
// unless the step is done and V1's probe has yet to prove it (PENDING:
// hold); a rolled-back checklist is N/A and counts as PASS, whatever its
// checks say now.
func TestLinesOfAwaitsAndNotApplicable(t *testing.T) {
	v1, v2 := item("V1", checks.Fail), item("V2", checks.Pass)
	v1.Awaits = "S2"
	st := runbook.State{At: now, Items: []runbook.ItemStatus{v1, v2}}
	ls := LinesOf(st, runbook.Verification)
	if len(ls) != 2 || ls[0].Verdict != "AWAITS" || ls[0].Awaits != "S2" || !strings.HasPrefix(ls[0].Evidence, "awaits S2 (now: FAIL ") {
		t.Fatalf("V1 awaiting S2: %+v", ls)
	}
	if want := checks.Pending; !v1.AwaitHolds() || ls[0].Counts() != want {
		t.Errorf("V1 awaiting its probe counts %s (holds %v), want %s", ls[0].Counts(), v1.AwaitHolds(), want)
	}
	if ls[1].Verdict != "PASS" || ls[1].Counts() != checks.Pass {
		t.Errorf("V2: %+v", ls[1])
	}
	v1.Awaits, v1.NotApplicable = "", "rolled back"
	v2.Verdict, v2.NotApplicable = checks.Fail, "rolled back"
	for _, l := range LinesOf(runbook.State{At: now, Items: []runbook.ItemStatus{v1, v2}}, runbook.Verification) {
		if l.Verdict != "N/A" || l.Counts() != checks.Pass || !strings.HasPrefix(l.Evidence, "n/a: rolled back (now: ") {
			t.Errorf("%s after a clean rollback: %s counts %s %q", l.ID, l.Verdict, l.Counts(), l.Evidence)
		}
	}
}

// status says unknown for a position nobody answered, and holds on it.
func TestStatusReportAndText(t *testing.T) {
	res := func(v string) checks.Result { return checks.Result{Evidence: checks.Evidence{Source: "src", Value: v}} }
	st := runbook.State{Env: "prod", Observed: runbook.Observed{RustWriteMode: res("rust_active"), LegacyFreeze: res("frozen"),
		WriteTarget: res("rust"), CohortPercent: 25},
		Incidents: []runbook.IncidentStatus{{Runbook: "I1", Title: "Write errors", State: runbook.IncidentPending, Evidence: "2%"}}}
	rep := Status(st, sharedlog.Publishable{Status: "not published: permission denied", Detail: "ERROR: denied"})
	if rep.Unknown() || *rep.CohortPercent != 25 {
		t.Errorf("a known position: unknown %v cohort %v", rep.Unknown(), rep.CohortPercent)
	}
	rep.Guard = GuardStatus{Mode: config.GuardCountdown, State: "countdown", Line: "I1 firing: rollback in 7s"}
	text := render(t, StatusFormats, "text", plain, rep)
	want := "env      prod\n" +
		"rust     rust_active — " + res("rust_active").Evidence.String() + "\n" +
		"legacy   frozen — " + res("frozen").Evidence.String() + "\n" +
		"writes → rust (25.0% on rust) — " + res("rust").Evidence.String() + "\n" +
		"timeline: not published: permission denied — ERROR: denied\n" +
		"guard    countdown (countdown) — I1 firing: rollback in 7s\n" +
		"I1  PENDING Write errors — 2%\n"
	if text != want {
		t.Errorf("status text:\n%s\nwant:\n%s", text, want)
	}

	st.Observed = runbook.Observed{CohortPercent: math.NaN()}
	rep = Status(st, sharedlog.Publishable{Status: "can publish"})
	if !rep.Unknown() || rep.RustWriteMode != "unknown" || rep.CohortPercent != nil {
		t.Errorf("an unanswered position: %+v", rep)
	}
	if text = render(t, StatusFormats, "text", plain, rep); !strings.Contains(text, "writes → unknown (unknown) — ") || !strings.Contains(text, "timeline: can publish\n") {
		t.Errorf("status text of an unknown position:\n%s", text)
	}
	if js := render(t, StatusFormats, "json", plain, rep); !strings.Contains(js, `"cohort_percent": null`) || !strings.Contains(js, `"timeline": {`) {
		t.Errorf("status json:\n%s", js)
	}
}

// preflight counts problems and warnings; a query the deadline cut off is
// a problem said once, naming the Prometheus and the deadline.
func TestPreflightReportAndText(t *testing.T) {
	results := []metrics.PreflightResult{
		{Signal: "errors", Kind: "query", Query: "rate(e[1m])", OK: true, Series: 1},
		{Signal: "errors", Kind: "volume_query", Query: "rate(v[1m])", OK: true, Series: 1, Warnings: []string{"job=\"x\" matches nothing"}},
		{Signal: "lag", Kind: "query", Query: "lag", Problem: "no such metric"},
		{Signal: "slow", Kind: "query", Query: "slow", Problem: metrics.UnansweredProblem, Unanswered: true},
	}
	rep := Preflight("staging", "http://prom:9090", results, 6*time.Second)
	if rep.OK || rep.problems != 2 || rep.warnings != 1 {
		t.Errorf("report: ok %v problems %d warnings %d", rep.OK, rep.problems, rep.warnings)
	}
	text := render(t, PreflightFormats, "text", plain, rep)
	want := "OK      errors — 1 series — rate(e[1m])\n" +
		"WARN    errors (volume) — 1 series; job=\"x\" matches nothing — rate(v[1m])\n" +
		"PROBLEM lag — no such metric — lag\n" +
		"PROBLEM Prometheus at http://prom:9090 did not answer 1 of 4 queries within 6s (the preflight deadline): is it up and reachable, and is prometheus.url its API's base URL?\n" +
		"staging: 4 queries, 2 with a problem, 1 with a warning\n"
	if text != want {
		t.Errorf("preflight text:\n%s\nwant:\n%s", text, want)
	}
	if ok := Preflight("staging", "", results[:2], time.Second); !ok.OK || ok.Error != "" {
		t.Errorf("usable queries with a warning: %+v", ok)
	}
}

// run and rollback print each event as a text line, or as one JSON object
// a line naming its type.
func TestEventWriter(t *testing.T) {
	plan := executor.Plan{ID: "S1", Env: "staging", At: now,
		Calls: []executor.Call{{Actuator: "gcloud", Argv: []string{"gcloud", "run", "--set-env-vars", "A=b c"}}},
		Gates: []checks.Result{{ID: "P1", Verdict: checks.Pass, ObservedAt: now, Evidence: checks.Evidence{Source: "q", Value: "1"}}}}
	progress := executor.Progress{Step: "S1", SubStep: "set_mode", Message: "redeploying", Started: now.Add(-time.Minute), At: now}
	outcome := executor.Outcome{Step: "S1", Message: "not verified"}
	var b bytes.Buffer
	text, _ := EventFormats.Get("text")
	e := &EventWriter{W: &b, Emit: text}
	e.Plan(plan)
	e.Progress(progress)
	progress.At = time.Time{}
	e.Progress(progress)
	e.Outcome(outcome)
	want := "S1 on staging\n  call  gcloud run --set-env-vars \"A=b c\"\n  gate  P1 " + plan.Gates[0].Line(now) + "\n" +
		"14:30:00 S1 set_mode: redeploying\n" +
		"14:29:00 S1 set_mode: redeploying\n" +
		"S1 FAILED: not verified\n"
	if b.String() != want {
		t.Errorf("events as text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	js, _ := EventFormats.Get("json")
	e.Emit = js
	e.Plan(plan)
	e.Outcome(executor.Outcome{Step: "S1", OK: true})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("events as json: %d lines:\n%s", len(lines), b.String())
	}
	var ev struct {
		Type string
		Plan struct {
			ID         string `json:"id"`
			GatesGreen bool   `json:"gates_green"`
			Calls      []any  `json:"calls"`
		}
		Outcome executor.Outcome
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.Type != "plan" || ev.Plan.ID != "S1" || len(ev.Plan.Calls) != 1 {
		t.Errorf("plan event: %v %+v\n%s", err, ev, lines[0])
	}
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil || ev.Type != "outcome" || !ev.Outcome.OK {
		t.Errorf("outcome event: %v %+v\n%s", err, ev, lines[1])
	}
}
