package report

import (
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

var t0 = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)

func ptr(f float64) *float64 { return &f }

// world is a state directory with two minutes of a night: S1 approved
// with an override at 03:00:10, done at 03:00:20; the error ratio spikes
// from 03:01:00 and write_error_spike fires from 03:01:05; the rollback
// runs 03:01:30–03:01:52 and the incident stops firing at 03:01:40.
func world(t *testing.T) (*config.Config, *config.Environment) {
	t.Helper()
	cfg := &config.Config{StateDir: t.TempDir()}
	env := &config.Environment{Name: "staging", Signals: map[string]*config.Signal{
		"rust_write_error_rate": {Name: "rust_write_error_rate", Title: "Rust write errors", Unit: "ratio", Warn: ptr(0.01), Crit: ptr(0.02)},
		"rust_write_share":      {Name: "rust_write_share", Unit: "ratio"},
	}}
	j, err := journal.Open(journal.Path(cfg.StateDir, env.Name))
	if err != nil {
		t.Fatal(err)
	}
	ok := true
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, r := range []journal.Record{
		{Time: at(10), Kind: journal.KindApproval, Step: "S1", Operator: "alice", Message: "approved via screen",
			Evidence: "P1 PASS parity allow\nP3 WARN projection_lag 12s"},
		{Time: at(10), Kind: journal.KindOverride, Step: "S1", Operator: "alice", Reason: "P3 lag is the known | replica"},
		{Time: at(11), Kind: journal.KindIntent, Step: "S1", Check: "set_legacy_freeze", Argv: []string{"true"}},
		{Time: at(20), Kind: journal.KindOutcome, Step: "S1", OK: &ok, Message: "S1 done"},
		{Time: at(30), Kind: journal.KindVerdict, Check: "S1", Verdict: "PASS", Evidence: "observed"},
		{Time: at(90), Kind: journal.KindApproval, Step: runbook.RollbackID, Operator: "bob", Message: "approved via screen"},
		{Time: at(95), Kind: journal.KindOutcome, Step: runbook.RollbackID, Check: "R1 route writes", OK: &ok, Message: "legacy"},
		{Time: at(112), Kind: journal.KindOutcome, Step: runbook.RollbackID, OK: &ok, Message: "rollback ran to the end"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// RecordOnce writes each round before it returns: a busy machine
	// cannot make the writer's queue drop one, as a sleep between
	// Record calls could.
	o := recording.Options{Dir: recording.Dir(cfg.StateDir, env.Name), Env: env.Name, Process: "operate"}
	for s := 0; s <= 120; s++ {
		if err := recording.RecordOnce(o, state(at(s), s)); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, env
}

func state(at time.Time, s int) runbook.State {
	ratio, inc := 0.002, runbook.IncidentOK
	if s >= 60 && s < 100 {
		ratio = 0.08
	}
	if s >= 65 && s < 100 {
		inc = runbook.IncidentFiring
	}
	return runbook.State{Env: "staging", At: at,
		Incidents: []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", Title: "write error spike", State: inc,
			Value: ratio, HasValue: true, Threshold: 0.02, Comparator: ">", For: 5 * time.Second,
			Evidence: fmt.Sprintf("rust: sum(rate(errors)) → %.1f%%", ratio*100)}},
		Snapshot: metrics.Snapshot{At: at, Samples: map[string]metrics.Sample{
			"rust_write_error_rate": {Signal: "rust_write_error_rate", Value: ratio, HasValue: true, At: at},
			"rust_write_share":      {Signal: "rust_write_share", Value: 1, HasValue: true, At: at},
		}}}
}

func TestTheReportTellsTheNight(t *testing.T) {
	cfg, env := world(t)
	out := t.TempDir()
	res, err := Write(t.Context(), Options{Config: cfg, Env: env, Out: out, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds != 121 || len(res.Notes) > 0 {
		t.Fatalf("%d rounds, notes %v: want all 121 recorded and nothing unread", res.Rounds, res.Notes)
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"- **S1** OK by alice, 03:00:10 to 03:00:20 (10s): S1 done",
		"approved by alice at 03:00:10",
		"**override** by alice at 03:00:10, reason: “P3 lag is the known \\| replica”",
		"the rollback started at 03:01:30 took **22s** and ended OK",
		"R1 route writes OK at 03:01:35",
		"- **I2 write_error_spike** fired from 03:01:05 to 03:01:40 (35s)",
		"### I2 write_error_spike: write error spike",
		"Criterion: `> 0.02 for 5s`. Worst value: 0.08.",
		"rust: sum(rate(errors)) → 8.0%",
		"![rust_write_error_rate](charts/rust_write_error_rate.svg)",
		"| 2026-12-07T03:00:10Z | S1 | override | alice |",
		"### S1, approved by alice at 03:00:10\n\n```\nP1 PASS parity allow\nP3 WARN projection_lag 12s\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md does not say %q:\n%s", want, md)
		}
	}
	svg := chartLines(t, filepath.Join(out, "charts", "rust_write_error_rate.svg"))
	// One series, warn, crit, and a mark per action in the chart's span:
	// S1's approval and override (one second, one mark), S1's outcome, the
	// rollback's approval and outcome.
	if svg[SeriesColor] != 1 || svg[WarnColor] != 1 || svg[CritColor] != 1 || svg[ActionColor] != 4 {
		t.Errorf("rust_write_error_rate.svg draws %v lines (series, warn, crit, actions), want 1, 1, 1, 4", svg)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "charts", "rust_write_error_rate.svg")); !strings.Contains(string(b), "S1 approval, override") {
		t.Error("the chart does not label S1's approval and override")
	}
	share := chartLines(t, filepath.Join(out, "charts", "rust_write_share.svg"))
	if share[SeriesColor] != 1 || share[WarnColor] != 0 || share[CritColor] != 0 {
		t.Errorf("rust_write_share.svg (no thresholds) draws %v", share)
	}
}

// A window selects: the night's first minute has no incident, no rollback.
func TestAWindowReportsOnlyItself(t *testing.T) {
	cfg, env := world(t)
	res, err := Write(t.Context(), Options{Config: cfg, Env: env, Out: t.TempDir(), From: t0, To: t0.Add(59 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(res.Path)
	md := string(b)
	if res.Rounds != 60 || !strings.Contains(md, "No incident criterion fired in the window.") ||
		!strings.Contains(md, "No rollback ran in the window.") || !strings.Contains(md, "**S1** OK") {
		t.Errorf("the first minute (%d rounds):\n%s", res.Rounds, md)
	}
}

// A torn recording and an unreadable journal line are said in the report,
// and what was readable is still reported.
func TestWhatCouldNotBeReadIsSaid(t *testing.T) {
	cfg, env := world(t)
	dir := recording.Dir(cfg.StateDir, env.Name)
	segs, _, err := recording.List(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	if err := os.Truncate(segs[0].Path, segs[0].Size-40); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(journal.Path(cfg.StateDir, env.Name), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("{torn\n")
	_ = f.Close()
	res, err := Write(t.Context(), Options{Config: cfg, Env: env, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(res.Path)
	md := string(b)
	if res.Rounds < 100 || !strings.Contains(md, "## What the report could not read") ||
		!strings.Contains(md, "without its end mark") || !strings.Contains(md, "unreadable line(s)") ||
		!strings.Contains(md, "**I2 write_error_spike** fired") {
		t.Errorf("a torn recording and journal (%d rounds):\n%s", res.Rounds, md)
	}
}

// chartLines parses an SVG (it must be well-formed XML) and counts its
// stroked paths by colour.
func chartLines(t *testing.T, path string) map[color.RGBA]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]color.RGBA{}
	for _, c := range []color.RGBA{SeriesColor, WarnColor, CritColor, ActionColor} {
		want[fmt.Sprintf("stroke:#%02X%02X%02X", c.R, c.G, c.B)] = c
	}
	got := map[color.RGBA]int{}
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "path" {
			continue
		}
		for _, a := range el.Attr {
			for s, c := range want {
				if a.Name.Local == "style" && strings.Contains(a.Value, s) {
					got[c]++
				}
			}
		}
	}
	return got
}

// An operating and a watching cockpit judged the same incident at their
// own instants: the report tells one firing, from the first that saw it
// fire to the last, its worst value either's; a later, separate firing
// stays apart.
func TestTwoProcessesSeeingOneFiringTellOne(t *testing.T) {
	f := newFiringTracker()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	inc := func(state runbook.IncidentState, v float64) []runbook.IncidentStatus {
		return []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", State: state, Value: v, HasValue: true, Comparator: ">"}}
	}
	for _, r := range []struct {
		session string
		s       int
		state   runbook.IncidentState
		v       float64
	}{
		{"operate", 65, runbook.IncidentFiring, 0.05}, {"watch", 66, runbook.IncidentFiring, 0.09},
		{"operate", 100, runbook.IncidentOK, 0.01}, {"watch", 101, runbook.IncidentOK, 0.01},
		{"watch", 200, runbook.IncidentFiring, 0.03},
	} {
		f.add(r.session, at(r.s), inc(r.state, r.v))
	}
	got := f.done()
	if len(got) != 2 || !got[0].Start.Equal(at(65)) || !got[0].End.Equal(at(101)) || got[0].Peak != 0.09 ||
		!got[1].Start.Equal(at(200)) || !got[1].End.IsZero() {
		t.Fatalf("firings %+v, want 03:01:05–03:01:41 (worst 0.09) and one from 03:03:20 still firing", got)
	}
}
