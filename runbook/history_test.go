package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

func appendAll(t *testing.T, path string, recs ...journal.Record) {
	t.Helper()
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, r := range recs {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func ok() *bool { b := true; return &b }

// step journals one successful action the way the executor does.
func step(id string, at time.Time, subs ...string) []journal.Record {
	recs := []journal.Record{{Time: at, Kind: journal.KindApproval, Step: id}}
	for _, s := range subs {
		recs = append(recs, journal.Record{Time: at, Kind: journal.KindIntent, Step: id, Check: s, Argv: []string{"ctl", s}},
			journal.Record{Time: at, Kind: journal.KindOutcome, Step: id, Check: s, OK: ok()})
	}
	return append(recs, journal.Record{Time: at, Kind: journal.KindOutcome, Step: id, OK: ok()})
}

func TestHistoryFoldsTheJournalIncrementally(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	r := newHistoryReader(path)
	if h := r.Read(); len(h.Done) != 0 || h.Err != nil {
		t.Fatalf("missing journal: %+v", h)
	}
	appendAll(t, path, step("S1", t0, "set_rust_write_mode=rust_active", "route_writes=rust", "set_legacy_freeze=true")...)
	h := r.Read()
	if !h.Done["S1"].Equal(t0) || !h.ModeChanged.Equal(t0) || len(h.SubSteps["S1"]) != 3 || len(h.Open) != 0 {
		t.Fatalf("after S1: %+v", h)
	}
	appendAll(t, path, journal.Record{Time: t0.Add(time.Minute), Kind: journal.KindApproval, Step: "S2", Host: "h", PID: 42})
	if h := r.Read(); len(h.Open) != 1 || h.Open[0].Step != "S2" || h.Open[0].PID != 42 {
		t.Fatalf("S2 approved: open = %+v", h.Open)
	}
	appendAll(t, path, journal.Record{Time: t0.Add(2 * time.Minute), Kind: journal.KindOutcome, Step: "S2", Check: WriteProbeStep, OK: ok()},
		journal.Record{Time: t0.Add(2 * time.Minute), Kind: journal.KindOutcome, Step: "S2", OK: ok()})
	h = r.Read()
	if len(h.Open) != 0 || !h.WriteProbe.Equal(t0.Add(2*time.Minute)) || !h.DoneAfter("S2", h.Done["S1"]) {
		t.Fatalf("S2 done: %+v", h)
	}
	// A torn last line (a killed process) is skipped, the rest kept.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	_, _ = f.WriteString(`{"kind":"outc` + "\n")
	_ = f.Close()
	if h := r.Read(); h.Err == nil || !h.Done["S2"].Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("torn line: err %v, S2 %v", h.Err, h.Done["S2"])
	}
}

// S2 after S1 is proven only by a write probe after the last mode change:
// the runtime restarts on every change and its runs live in memory.
func TestS2NeedsAWriteProbeAfterTheLastModeChange(t *testing.T) {
	o := goodObservation(t0)
	o.history = History{WriteProbe: t0.Add(-5 * time.Minute), ModeChanged: t0.Add(-time.Minute)}
	st := newTestEvaluator(t, false).evaluate(o)
	if v := verdicts(st)["S2"]; v != checks.Fail {
		t.Fatalf("S2 with the probe before the last mode change = %v, want FAIL", v)
	}
	if g := gates(st, "S3", config.LowTrafficHold); g[0].ID != "S2" || g[0].Verdict != checks.Fail || !strings.Contains(g[0].Evidence.String(), "write probe") {
		t.Errorf("S3's gate = %+v, want S2 FAIL naming the write probe", g[0])
	}
	o.history.WriteProbe = t0
	if v := verdicts(newTestEvaluator(t, false).evaluate(o))["S2"]; v != checks.Pass {
		t.Errorf("S2 with a probe after the mode change = %v, want PASS", v)
	}
}

func TestProductionWaitsForStagingDoneInOrder(t *testing.T) {
	prod := &config.Environment{Name: "production", Production: true, Requires: "staging"}
	full := History{
		Done: map[string]time.Time{"S1": t0, "S2": t0.Add(time.Minute), "S3": t0.Add(2 * time.Minute),
			"V2": t0.Add(time.Minute), "V3": t0.Add(3 * time.Minute), "V4": t0.Add(3 * time.Minute)},
		DoneBy:      map[string]Actor{"S1": {Operator: "alice", Host: "laptop-a", Origin: "ORIGINA"}},
		SubSteps:    map[string][]string{"S1": stagingValues},
		ModeChanged: t0, WriteProbe: t0.Add(time.Minute),
	}
	g := stagingGate(prod, map[string]History{"staging": full}, cutOver(), t0)
	if g.Verdict != checks.Pass || !strings.Contains(g.Evidence.Value, "S1 done 2026-03-01T14:00:00Z by alice@laptop-a (shared timeline, origin ORIGINA)") {
		t.Fatalf("staging done: %s, want PASS naming who and where S1 was done", g.Line(t0))
	}
	early := full
	early.Done = map[string]time.Time{"S1": t0, "S2": t0.Add(time.Minute)}
	g = stagingGate(prod, map[string]History{"staging": early}, cutOver(), t0)
	if g.Verdict != checks.Fail || !strings.Contains(g.Evidence.Value, "S3 not done after S2") || !strings.Contains(g.Evidence.Value, "V4 not passed after S1") {
		t.Fatalf("staging without S3/V2–V4: %s", g.Line(t0))
	}
	if g := stagingGate(&config.Environment{Name: "production", Production: true}, nil, cutOver(), t0); g.Verdict != checks.Unknown {
		t.Errorf("no staging configured: %v, want UNKNOWN", g.Verdict)
	}
	// Another non-production environment done is not the one required.
	if g := stagingGate(prod, map[string]History{"dev2": full}, cutOver(), t0); g.Verdict == checks.Pass {
		t.Errorf("dev2 done, staging required: %s, want not PASS", g.Line(t0))
	}
	o := goodObservation(t0)
	o.staging = map[string]History{"staging": early}
	ev := newTestEvaluator(t, true)
	ev.env.Requires = "staging"
	gs := gates(ev.evaluate(o), "S4", config.LowTrafficHold)
	if g := gs[len(gs)-3]; g.ID != "staging.done" || g.Verdict != checks.Fail {
		t.Errorf("S4's gates = %s, want staging.done FAIL before the readiness and incident gates", gateIDs(gs))
	}
}

// A step's progress comes from the journal, apart from its observed state:
// not run, running while its action lives, done (who, when), failed.
func TestStepProgressIsReadFromTheJournal(t *testing.T) {
	o := goodObservation(t0)
	o.history.Last = map[string]LastRun{
		"S1":       {At: t0.Add(-time.Hour), Operator: "alice", OK: true},
		"S3":       {At: t0.Add(-time.Minute), Operator: "bob", Message: "S3 failed at parity_harness: block"},
		RollbackID: {At: t0, Operator: "carol", Message: "rollback interrupted at R2"},
	}
	o.host = "here"
	o.history.Open = []OpenAction{{Step: "S2", Operator: "dave", Host: "here", PID: os.Getpid(), Approved: t0}}
	st := newTestEvaluator(t, false).evaluate(o)
	want := map[string]ProgressState{"S1": Done, "S2": Running, "S3": Failed, "S4": NotRun, "R1": Interrupted, "R4": Interrupted}
	for id, w := range want {
		is, _ := st.Item(id)
		if is.Progress.State != w {
			t.Errorf("%s progress %q, want %q", id, is.Progress.State, w)
		}
	}
	if p, _ := st.Item("S1"); p.Progress.Operator != "alice" || p.Verdict != checks.Pass {
		t.Errorf("S1: %+v", p)
	}
	if v, _ := st.Item("V1"); v.Progress.State != "" {
		t.Errorf("a check has a step's progress: %+v", v.Progress)
	}
}

// Another machine's action, delivered through the shared timeline, is open
// here with its operator and sub-step while it runs, and done after.
func TestHistoryFoldsAnotherMachinesActions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	feed := &SharedFeed{}
	r := newHistoryReader(path)
	r.shared = feed
	all := step("S1", t0, "set_rust_write_mode=rust_active", "set_legacy_freeze=true")
	for i := range all {
		all[i].Operator, all[i].Host = "alice", "laptop-a"
	}
	feed.Add(all[:2]) // approval, first intent
	h := r.Read()
	if len(h.Open) != 1 || h.Open[0].Operator != "alice" || h.Open[0].SubStep != "set_rust_write_mode=rust_active" {
		t.Fatalf("another machine's running S1: open = %+v", h.Open)
	}
	feed.Add(all[2:])
	if h := r.Read(); len(h.Open) != 0 || !h.Done["S1"].Equal(t0) || h.Last["S1"].Operator != "alice" {
		t.Fatalf("another machine's finished S1: %+v", h)
	}
}
