package factory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

// roundsObserver is a screen's source of rounds: one a call, each a second
// after the one before, with a value that moves, said to come from source.
type roundsObserver struct {
	n      *int
	source string
}

func (o roundsObserver) Observe(context.Context) runbook.State {
	*o.n++
	return runbook.State{Env: "staging", At: time.Date(2026, 12, 7, 3, 0, *o.n, 0, time.UTC), Source: o.source,
		Incidents: []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", Value: float64(*o.n), HasValue: true}}}
}

// The disk under operate's recording fills (a real tmpfs; the journal is
// on another disk): every round still reaches the screen at once, the
// runbook pane's title says recording stopped and why (beside what the
// round's source says), and the journal holds one line of it.
func TestAFullDiskStopsTheRecordingOnTheScreen(t *testing.T) {
	stateDir, disk := t.TempDir(), testsvc.SmallDisk(t, 256<<10)
	if err := os.MkdirAll(filepath.Join(stateDir, "staging"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(disk, recording.Dir(stateDir, "staging")); err != nil {
		t.Fatal(err)
	}
	s, _ := testStreams()
	f := New(s, testConfig(t, stateDir, "a-secret"), "", Operate)
	defer f.Close()
	n := 0
	obs, err := f.Recorded(roundsObserver{n: &n, source: "following the shared feed"})
	if err != nil {
		t.Fatal(err)
	}
	first := obs.Observe(t.Context())
	if first.Source != "following the shared feed" {
		t.Fatalf("a recording round says %q", first.Source)
	}
	waitRecorded(t, disk, first.At, "operate")
	free := testsvc.FillDisk(t, disk)
	defer free()
	st := first
	for deadline := time.Now().Add(30 * time.Second); st.Source == first.Source; {
		if time.Now().After(deadline) {
			t.Fatal("recording never said it stopped on a full disk")
		}
		st = obs.Observe(t.Context()) // returns: the full disk holds no round
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(st.Source, "following the shared feed · recording stopped: ") || !strings.Contains(st.Source, "no space left on device") {
		t.Errorf("the screen says %q", st.Source)
	}
	// The screen's word comes first; the writer journals it just after.
	var recs []journal.Record
	lines := 0
	for deadline := time.Now().Add(30 * time.Second); lines == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if recs, err = journal.Read(journal.Path(stateDir, "staging")); err != nil {
			t.Fatal(err)
		}
		lines = 0
		for _, r := range recs {
			if r.Kind == journal.KindRecording && strings.Contains(r.Message, "no space left on device") && r.OK != nil && !*r.OK {
				lines++
			}
		}
	}
	if lines != 1 {
		t.Errorf("%d journal lines say the recording stopped, want 1: %+v", lines, recs)
	}
}

// watch records what it shows as watch; recording.off records nothing and
// leaves the rounds as they are.
func TestWatchRecordsAndOffRecordsNothing(t *testing.T) {
	stateDir := t.TempDir()
	s, _ := testStreams()
	f := New(s, testConfig(t, stateDir, "a-secret"), "", Watch)
	n := 0
	obs, err := f.Recorded(roundsObserver{n: &n})
	if err != nil {
		t.Fatal(err)
	}
	waitRecorded(t, recording.Dir(stateDir, "staging"), obs.Observe(t.Context()).At, "watch")
	f.Close()

	path := testConfig(t, t.TempDir(), "a-secret")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, "recording: {off: true}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	off := New(s, path, "", Watch)
	defer off.Close()
	if rec, err := off.Recorder(); rec != nil || err != nil {
		t.Fatalf("recording off: a recorder %v (%v)", rec, err)
	}
	obs, _ = off.Recorded(roundsObserver{n: &n})
	if st := obs.Observe(t.Context()); st.Source != "" {
		t.Errorf("recording off: the round says %q", st.Source)
	}
	cfg, _ := off.Config()
	if _, err := os.Stat(recording.Dir(cfg.StateDir, "staging")); !os.IsNotExist(err) {
		t.Errorf("recording off made %s (%v)", recording.Dir(cfg.StateDir, "staging"), err)
	}
}

// waitRecorded waits until the recording in dir holds process's round at at.
func waitRecorded(t *testing.T, dir string, at time.Time, process string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		_, err := recording.Read(dir, recording.Query{}, func(r recording.Round) error {
			found = found || r.At.Equal(at) && r.Header.Process == process
			return nil
		})
		if found && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's round at %s never reached the recording (%v)", process, at, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The guard's rounds are recorded as the guard's, with the config's
// secrets hidden in the recording while the guard judges the round as
// observed.
func TestTheGuardsRoundsAreRecordedWithoutSecrets(t *testing.T) {
	stateDir := t.TempDir()
	s, _ := testStreams()
	f := New(s, testConfig(t, stateDir, "hunter2-signature"), "", Rollback)
	f.Process = "guard"
	defer f.Close()
	eng, err := f.RecordedEngine()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	waitRecorded(t, recording.Dir(stateDir, "staging"), eng.Observe(ctx).At, "guard")

	rec, _ := f.Recorder()
	leaky := recordingObserver{Observer: leakyObserver{}, rec: rec, hide: f.Streams.Redact}
	if st := leaky.Observe(t.Context()); st.Incidents[0].Evidence != "signed with hunter2-signature" {
		t.Errorf("the guard was handed %q, not the round as observed", st.Incidents[0].Evidence)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	found := false
	if _, err := recording.Read(recording.Dir(stateDir, "staging"), recording.Query{}, func(r recording.Round) error {
		doc := string(r.JSON())
		if strings.Contains(doc, "hunter2") {
			t.Errorf("the recorded round at %s holds the secret", r.At)
		}
		found = found || strings.Contains(doc, "signed with [REDACTED]")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("the leaky round was not recorded")
	}
}

// leakyObserver's round carries a secret in its evidence.
type leakyObserver struct{}

func (leakyObserver) Observe(context.Context) runbook.State {
	return runbook.State{Env: "staging", At: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC),
		Incidents: []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", Evidence: "signed with hunter2-signature"}}}
}

// run and rollback record the rounds their executor observes (the
// plan's gates here; the confirm-time gates, verifications and settle go
// the same way) as run's and rollback's, through the process's one
// recorder; operate's executor does not, its screen records its rounds.
func TestRunAndRollbackRecordTheRoundsTheirExecutorObserves(t *testing.T) {
	for mode, process := range map[Mode]string{Act: "run", Rollback: "rollback", Operate: ""} {
		t.Run(mode.String(), func(t *testing.T) {
			stateDir := t.TempDir()
			s, _ := testStreams()
			f := New(s, testConfig(t, stateDir, "a-secret"), "", mode)
			defer f.Close()
			x, err := f.Executor()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			plan, err := x.Plan(ctx, "P1")
			if err != nil {
				t.Fatal(err)
			}
			dir := recording.Dir(stateDir, "staging")
			if process != "" {
				waitRecorded(t, dir, plan.At, process)
				return
			}
			f.Close() // what operate's recorder held is written
			if segs, _, err := recording.List(dir); err != nil || len(segs) != 0 {
				t.Errorf("operate's executor recorded %d segment(s) (%v): its screen records its rounds", len(segs), err)
			}
		})
	}
}
