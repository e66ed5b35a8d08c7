package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sandbox"
)

// recordedI2 is one recorded round's time and what I2's write error spike
// read in it, as the recording holds it (not as any screen shows it).
type recordedI2 struct {
	at    time.Time
	state runbook.IncidentState
}

// TestReplayShowsTheRecordedSpike records operate on the world for about
// 40 s with an error spike injected halfway (its `for` shortened to 10s),
// then replays it in tmux at 120×40: before the spike I2 reads ok (none
// firing), ] stops at the round the spike fired, at its recorded time,
// and the round before it is not firing. No action key works. Then the bad
// days: a torn segment still replays with the tail named, --from after the
// recording and an environment never recorded are refused with exit 4.
func TestReplayShowsTheRecordedSpike(t *testing.T) {
	if testing.Short() {
		t.Skip("the replay end-to-end test takes about a minute")
	}
	tmux := toolBinary(t, "tmux", "replay", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	dir := t.TempDir()
	cfg, world := screenStartWorld(t, bin, dir)
	raw, err := os.ReadFile(cfg)
	must(t, err)
	must(t, os.WriteFile(cfg, []byte(incidentFor(t, string(raw), "write_error_spike", 10*time.Second)), 0o644))
	recDir := replayRecordingDir(t, cfg)

	start := time.Now().Truncate(time.Second)
	op := newTmuxScreen(t, tmux, bin, "operate", "--config", cfg, "--env", "staging", "--log-file", filepath.Join(dir, "operate.log"))
	op.waitFor("quiet incidents on live panes", 60*time.Second, func(s string) bool {
		in := screenIncidents(s)
		return screenPanesLive(s) && strings.HasPrefix(in, "INCIDENTS: none firing") && !strings.Contains(in, "pending")
	})
	waitRounds(t, recDir, time.Now(), 20) // some 20 s of a quiet world on the record
	spikeAt := time.Now()
	screenCtl(t, bin, cfg, world, "fault", sandbox.FaultErrorSpike, "on")
	op.waitFor("the spike firing", 60*time.Second, func(s string) bool { return strings.Contains(screenIncidents(s), "FIRING") })
	waitRounds(t, recDir, time.Now(), 5) // and a few firing rounds
	op.keys("q")
	op.waitExit()

	rounds := recordedRounds(t, recDir, start)
	replayFigures(t, recDir, start)
	fired := slices.IndexFunc(rounds, func(r recordedI2) bool { return r.state == runbook.IncidentFiring })
	before := slices.IndexFunc(rounds, func(r recordedI2) bool { return !r.at.Before(spikeAt.Add(-2 * time.Second)) }) - 1
	if fired < 1 || before < 0 || rounds[before].state != runbook.IncidentOK {
		t.Fatalf("the recording has no ok round before the spike and firing one after it: before %d, fired %d of %d", before, fired, len(rounds))
	}

	rp := newTmuxScreen(t, tmux, bin, "replay", "--config", cfg, "--env", "staging", "--from", start.Format(time.RFC3339), "--process", "operate")
	rp.run("resize-window", "-t", "cockpit", "-x", "120", "-y", "40")
	rp.waitFor("the replay paused at 120×40", 30*time.Second, func(s string) bool {
		return strings.Contains(screenLine(s, 0), " REPLAY ") && len(strings.Split(strings.TrimRight(s, "\n"), "\n")) == 40
	})
	rp.keys("Space")
	rp.waitFor("the replay paused", 30*time.Second, func(s string) bool { return strings.Contains(s, "⏸ paused") })

	// Before the spike: the round on screen at that second, I2 ok.
	target := rounds[before].at.Truncate(time.Second)
	shown := rounds[slices.IndexFunc(rounds, func(r recordedI2) bool { return r.at.After(target) })-1]
	rp.keys("g")
	rp.literal(target.UTC().Format("15:04:05"))
	rp.keys("Enter")
	rp.waitFor("the round before the spike, none firing", 30*time.Second, func(s string) bool {
		in := screenIncidents(s)
		return replayClock(s) == shown.at.UTC().Format("15:04:05") && strings.HasPrefix(in, "INCIDENTS: none firing") &&
			!strings.Contains(in, "pending")
	})
	if s := rp.capture(); !regexp.MustCompile(`I2 write_error_spike [^\n]*\bok \d\d:\d\d:\d\d`).MatchString(s) ||
		strings.Contains(s, "write_error_spike pending") || strings.Contains(s, "write_error_spike firing") {
		t.Fatalf("before the spike the timeline does not read I2 ok, or reads what came after:\n%s", s)
	}
	if shown.state != runbook.IncidentOK {
		t.Fatalf("the round shown before the spike recorded I2 %s", shown.state)
	}

	// ] stops at every action, override and incident change: the first
	// FIRING it reaches is the round the spike fired, at its recorded time.
	for range 40 {
		s := rp.capture()
		if strings.Contains(screenIncidents(s), "FIRING") {
			break
		}
		clock := replayClock(s)
		rp.keys("]")
		rp.waitFor("] to move on", 30*time.Second, func(next string) bool {
			return replayClock(next) != clock || strings.Contains(next, "no action, override or incident change after") ||
				strings.Contains(next, "still finding the actions")
		})
	}
	s := rp.capture()
	if got, want := replayClock(s), rounds[fired].at.UTC().Format("15:04:05"); got != want || !strings.Contains(screenIncidents(s), "I2 write error spike FIRING") {
		t.Fatalf("] stopped at %s, want the spike firing at %s; the screen:\n%s", got, want, s)
	}
	if !strings.Contains(s, "verdict I2 write_error_spike firing") {
		t.Fatalf("at the spike's firing round the timeline does not show it firing:\n%s", s)
	}
	rp.keys("Left")
	rp.waitFor("the round before it, not firing", 30*time.Second, func(s string) bool {
		return replayClock(s) == rounds[fired-1].at.UTC().Format("15:04:05") && !strings.Contains(screenIncidents(s), "FIRING")
	})
	rp.keys("r")
	rp.waitFor("r refused in a replay", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "read-only") && !strings.Contains(s, "CONFIRM")
	})
	rp.keys("q")
	rp.waitExit()

	replayBadDays(t, tmux, bin, cfg, recDir, rounds[len(rounds)-1].at)
}

// replayBadDays: a torn segment replays what it has and names the tail;
// --from after the recording and an environment never recorded are
// refused (exit 4), saying what there is.
func replayBadDays(t *testing.T, tmux, bin, cfg, recDir string, last time.Time) {
	segs, err := filepath.Glob(filepath.Join(recDir, "*.rec.gz"))
	must(t, err)
	if len(segs) == 0 {
		t.Fatalf("no segment in %s", recDir)
	}
	slices.Sort(segs)
	newest := segs[len(segs)-1]
	info, err := os.Stat(newest)
	must(t, err)
	must(t, os.Truncate(newest, info.Size()*2/3))
	torn := newTmuxScreen(t, tmux, bin, "replay", "--config", cfg, "--env", "staging", "--speed", "0.1")
	torn.waitFor("the torn recording replayed, its problem said", 30*time.Second, func(s string) bool {
		return strings.Contains(screenLine(s, 0), " REPLAY ") && strings.Contains(s, "⚠ recording: ")
	})
	torn.keys("?")
	torn.waitFor("the torn tail named in the help overlay", 30*time.Second, func(s string) bool {
		return strings.Contains(s, filepath.Base(newest)) && strings.Contains(s, "torn")
	})
	torn.keys("Escape") // alone: Escape and q in one write read as alt+q
	torn.waitFor("the help overlay closed", 30*time.Second, func(s string) bool { return !strings.Contains(s, "KEYS") })
	torn.keys("q")
	torn.waitExit()

	after := last.Add(time.Minute).Format(time.RFC3339)
	_, stderr, code := runCLI(t, true, "replay", "--config", cfg, "--env", "staging", "--from", after)
	if code != exitUsage || !strings.Contains(stderr, "nothing to replay between") || !strings.Contains(stderr, "run from "+time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("--from after the recording: exit %d, %q; want %d naming the recording's span", code, stderr, exitUsage)
	}
	_, stderr, code = runCLI(t, true, "replay", "--config", cfg, "--env", "production")
	if code != exitUsage || !strings.Contains(stderr, "nothing to replay: no round recorded in") {
		t.Errorf("an environment never recorded: exit %d, %q; want %d", code, stderr, exitUsage)
	}
	_, stderr, code = runCLI(t, true, "replay", "--config", cfg, "--env", "staging", "--process", "guard")
	if code != exitUsage || !strings.Contains(stderr, "nothing to replay: no round recorded by guard in") {
		t.Errorf("a process that never recorded: exit %d, %q; want %d", code, stderr, exitUsage)
	}
}

// replayRecordingDir is where the world's staging is recorded.
func replayRecordingDir(t *testing.T, cfg string) string {
	t.Helper()
	c, err := config.Load(cfg)
	must(t, err)
	return recording.Dir(c.StateDir, "staging")
}

// waitRounds waits for n rounds recorded since from.
func waitRounds(t *testing.T, dir string, from time.Time, n int) {
	t.Helper()
	eventually(t, 2*time.Minute, 500*time.Millisecond, "rounds on the record", func() bool {
		count := 0
		_, _ = recording.Read(dir, recording.Query{From: from}, func(recording.Round) error { count++; return nil })
		return count >= n
	})
}

// recordedRounds is I2's write error spike in every round since from.
func recordedRounds(t *testing.T, dir string, from time.Time) []recordedI2 {
	t.Helper()
	var out []recordedI2
	_, err := recording.Read(dir, recording.Query{From: from}, func(r recording.Round) error {
		st, err := r.State()
		if err != nil {
			return err
		}
		in := recordedI2{at: r.At}
		for _, inc := range st.Incidents {
			if inc.ID == "write_error_spike" {
				in.state = inc.State
			}
		}
		out = append(out, in)
		return nil
	})
	must(t, err)
	return out
}

// replayClock is the replay's clock in the header: " REPLAY 13:42:10 ".
func replayClock(s string) string {
	m := regexp.MustCompile(` REPLAY (\d\d:\d\d:\d\d) `).FindStringSubmatch(screenLine(s, 0))
	if m == nil {
		return ""
	}
	return m[1]
}

// replayFigures logs what the replay holds and spends per round: the
// rounds' JSON (kept in memory) and the time to decode one.
func replayFigures(t *testing.T, dir string, from time.Time) {
	t.Helper()
	rec, _, err := readRecording(dir, recording.Query{From: from}, "")
	must(t, err)
	held := 0
	for _, r := range rec.rounds {
		held += len(r.JSON())
	}
	began := time.Now()
	for i := range rec.Len() {
		if _, err := rec.State(i); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(began) / time.Duration(rec.Len())
	began = time.Now()
	for i := range rec.Len() {
		if _, err := rec.Incidents(i); err != nil {
			t.Fatal(err)
		}
	}
	marks := time.Since(began) / time.Duration(rec.Len())
	t.Logf("replay holds %d rounds in %d KB of JSON (%.1f KB a round, %.0f MB an hour of 1 s rounds); decoding a round takes %s, its incidents alone %s (%s for an hour's marks)",
		rec.Len(), held/1024, float64(held)/1024/float64(rec.Len()), float64(held)/float64(rec.Len())*3600/1e6, per, marks, marks*3600)
}
