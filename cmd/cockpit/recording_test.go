package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

// roundsObserver is a screen's source of rounds: one a call, each a second
// after the one before, with a value that moves.
type roundsObserver struct{ n *int }

func (o roundsObserver) Observe(context.Context) runbook.State {
	*o.n++
	return runbook.State{Env: "staging", At: time.Date(2026, 12, 7, 3, 0, *o.n, 0, time.UTC),
		Incidents: []runbook.IncidentStatus{{ID: "write_error_spike", Runbook: "I2", Value: float64(*o.n), HasValue: true}}}
}

// The state disk fills under operate's recording (a real tmpfs): every
// round still reaches the screen at once, the runbook pane's title says
// recording stopped and why (beside the feed's word under --follow), and
// the journal, on another disk, holds one line of it.
func TestAFullStateDiskStopsTheRecordingOnTheScreen(t *testing.T) {
	disk := testsvc.SmallDisk(t, 256<<10)
	cfg := &config.Config{StateDir: disk}
	j, err := journal.Open(journal.Path(t.TempDir(), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.Close() }()
	rec := startRecording(cfg, "staging", "operate", j, slog.New(slog.DiscardHandler))
	defer func() { _ = rec.Close() }()
	n := 0
	obs := recordingObserver{Observer: roundsObserver{&n}, rec: rec}
	first := obs.Observe(t.Context())
	if first.Source != "" {
		t.Fatalf("a recording round says %q", first.Source)
	}
	waitRecorded(t, recording.Dir(disk, "staging"), first.At)
	free := testsvc.FillDisk(t, disk)
	defer free()
	deadline := time.Now().Add(30 * time.Second)
	var st runbook.State
	for st.Source == "" {
		if time.Now().After(deadline) {
			t.Fatal("recording never said it stopped on a full disk")
		}
		start := time.Now()
		st = obs.Observe(t.Context())
		if d := time.Since(start); d > time.Second {
			t.Fatalf("a round took %v with the disk full", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(st.Source, "recording stopped: ") || !strings.Contains(st.Source, "no space left on device") {
		t.Errorf("the screen says %q", st.Source)
	}
	followed := recordingObserver{Observer: sourceObserver{"following the shared feed"}, rec: rec}
	if got := followed.Observe(t.Context()).Source; got != "following the shared feed · "+rec.Stopped() {
		t.Errorf("under --follow the title says %q", got)
	}
	recs, err := journal.Read(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	for _, r := range recs {
		if r.Kind == journal.KindRecording && strings.Contains(r.Message, "no space left on device") && r.OK != nil && !*r.OK {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d journal lines say the recording stopped, want 1: %+v", lines, recs)
	}
}

type sourceObserver struct{ source string }

func (o sourceObserver) Observe(context.Context) runbook.State {
	return runbook.State{Env: "staging", Source: o.source}
}

// waitRecorded waits until the recording in dir holds a round at at.
func waitRecorded(t *testing.T, dir string, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		_, err := recording.Read(dir, recording.Query{}, func(r recording.Round) error {
			found = found || r.At.Equal(at)
			return nil
		})
		if found && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the round at %s never reached the recording (%v)", at, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
