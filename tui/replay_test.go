package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// fixedRecording is a minute of 1 s rounds ending at the test clock: the
// write error spike is ok for 30 rounds, pending for 5, then firing.
type fixedRecording struct {
	times  []time.Time
	states []runbook.State
	bad    map[int]bool // rounds that cannot be read
}

const (
	fixedRounds  = 60
	pendingRound = 30
	firingRound  = 35
	approvalAt   = 10
	outcomeAt    = 12
)

func newFixedRecording() *fixedRecording {
	r := &fixedRecording{}
	for i := range fixedRounds {
		at := clock.Add(time.Duration(i-fixedRounds+1) * time.Second)
		s := healthyState()
		switch {
		case i >= firingRound:
			s = firingState()
		case i >= pendingRound:
			s.Incidents[2].State = runbook.IncidentPending
		}
		s.At = at
		r.times, r.states = append(r.times, at), append(r.states, s)
	}
	return r
}

func (r *fixedRecording) Len() int             { return len(r.times) }
func (r *fixedRecording) Time(i int) time.Time { return r.times[i] }
func (r *fixedRecording) Incidents(i int) ([]runbook.IncidentStatus, error) {
	st, err := r.State(i)
	return st.Incidents, err
}

func (r *fixedRecording) State(i int) (runbook.State, error) {
	if r.bad[i] {
		return runbook.State{}, errors.New("decoding the observation: corrupt")
	}
	return r.states[i], nil
}

// fixedJournal is S1 approved with an override at round 10, done at 12,
// and the spike's verdict change journaled when it fired.
func fixedJournal(r *fixedRecording) []journal.Record {
	ok := true
	return []journal.Record{
		{Time: r.times[approvalAt], Kind: journal.KindApproval, Step: "S1", Operator: "alice", Message: "approved via dialog",
			Evidence: "P1.gate PASS parity gate allow\nP4.gate UNKNOWN DB role isolation: no database"},
		{Time: r.times[approvalAt], Kind: journal.KindOverride, Step: "S1", Operator: "alice", Reason: "rehearsal without a database"},
		{Time: r.times[outcomeAt], Kind: journal.KindOutcome, Step: "S1", OK: &ok, Message: "S1 done: verified"},
		{Time: r.times[firingRound], Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "firing"},
	}
}

// replayDriver runs the replay's commands as the program would, in
// order: the play clock's ticks are held until the test delivers them,
// every other message is handed to Update at once.
type replayDriver struct {
	t     *testing.T
	m     *Model
	ticks []tea.Msg
}

func newReplay(t *testing.T, p *Playback) *replayDriver {
	t.Helper()
	if p.Speed == 0 {
		p.Speed = 1000 // ticks come in a millisecond; the test holds them
	}
	m, err := New(context.Background(), Options{Env: "staging", Mode: Replay, Playback: p, Profile: colorprofile.NoTTY,
		Now: func() time.Time { return clock.Add(24 * time.Hour) }, StaleAfter: 10 * time.Second, Refresh: time.Second, Signals: testSignals()})
	if err != nil {
		t.Fatal(err)
	}
	d := &replayDriver{t: t, m: m}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.run(m.Init())
	return d
}

func (d *replayDriver) run(cmd tea.Cmd) {
	d.t.Helper()
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	case replayTickMsg:
		d.ticks = append(d.ticks, msg)
	default:
		d.send(msg)
	}
}

func (d *replayDriver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

func (d *replayDriver) press(keys ...string) {
	d.t.Helper()
	special := map[string]tea.KeyPressMsg{"space": {Code: tea.KeySpace, Text: " "}, "left": {Code: tea.KeyLeft},
		"right": {Code: tea.KeyRight}, "enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}}
	for _, k := range keys {
		if msg, ok := special[k]; ok {
			d.send(msg)
			continue
		}
		for _, r := range k {
			d.send(typed(string(r)))
		}
	}
}

// tick delivers the held ticks, as the clock would.
func (d *replayDriver) tick() {
	d.t.Helper()
	ticks := d.ticks
	d.ticks = nil
	for _, msg := range ticks {
		d.send(msg)
	}
}

func (d *replayDriver) screen() string { return d.m.View().Content }

// at fails unless the header shows the replay's clock at round i.
func (d *replayDriver) at(i int) {
	d.t.Helper()
	want := fmt.Sprintf(" REPLAY %s ", clock.Add(time.Duration(i-fixedRounds+1)*time.Second).Format("15:04:05"))
	if h := strings.Split(d.screen(), "\n")[0]; !strings.Contains(h, want) {
		d.t.Fatalf("the header is %q, want %q (round %d)", h, want, i+1)
	}
	if s := d.status(); !strings.Contains(s, fmt.Sprintf("round %d of %d", i+1, fixedRounds)) {
		d.t.Fatalf("the status line is %q, want round %d", s, i+1)
	}
}

func (d *replayDriver) status() string {
	lines := strings.Split(d.screen(), "\n")
	return lines[len(lines)-2]
}

func (d *replayDriver) incidents() string {
	lines := strings.Split(d.screen(), "\n")
	return lines[len(lines)-3]
}

// The replay shows the first round at its recorded time, in place of the
// live clock and mode badge, and plays on at the recorded pace; the
// incidents line is what it was at each round.
func TestReplayShowsEachRoundAtItsRecordedTime(t *testing.T) {
	rec := newFixedRecording()
	d := newReplay(t, &Playback{Rounds: rec})
	d.at(0)
	if h := strings.Split(d.screen(), "\n")[0]; strings.Contains(h, "WATCH") || strings.Contains(h, "OPERATE") {
		t.Fatalf("the header shows a live mode: %q", h)
	}
	if in := d.incidents(); !strings.HasPrefix(in, "INCIDENTS: none firing") {
		t.Fatalf("round 1's incidents: %q", in)
	}
	for i := 1; i <= firingRound; i++ {
		d.tick()
		d.at(i)
	}
	if in := d.incidents(); !strings.Contains(in, "I2 write error spike FIRING") {
		t.Fatalf("round %d's incidents: %q", firingRound+1, in)
	}
	if !strings.Contains(d.screen(), "3.1%") {
		t.Fatalf("the error rate pane does not show the round's 3.1%%:\n%s", d.screen())
	}
}

// space pauses (a tick on its way changes nothing) and plays again; ← and
// → step one round and pause; the first and last rounds say so.
func TestReplayPausesAndStepsARound(t *testing.T) {
	d := newReplay(t, &Playback{Rounds: newFixedRecording()})
	d.press("space")
	d.tick()
	d.at(0)
	if !strings.Contains(d.status(), "paused") {
		t.Fatalf("after space the status line is %q", d.status())
	}
	d.press("right", "right")
	d.at(2)
	d.press("left")
	d.at(1)
	d.tick()
	d.at(1) // stepping paused the clock
	d.press("left", "left")
	d.at(0)
	if !strings.Contains(d.status(), "the first round of the recording") {
		t.Fatalf("stepping before the first round: %q", d.status())
	}
	d.press("space")
	d.tick()
	d.at(1)
	if !strings.Contains(d.status(), "playing") {
		t.Fatalf("after space again the status line is %q", d.status())
	}
}

// [ and ] stop at the approval and override, the outcome, the spike going
// pending and firing, and say when there is nothing further.
func TestReplayJumpsBetweenActionsOverridesAndIncidents(t *testing.T) {
	rec := newFixedRecording()
	d := newReplay(t, &Playback{Rounds: rec, Journal: fixedJournal(rec)})
	d.press("space")
	for _, want := range []int{approvalAt, outcomeAt, pendingRound, firingRound} {
		d.press("]")
		d.at(want)
	}
	if in := d.incidents(); !strings.Contains(in, "FIRING") {
		t.Fatalf("] stopped at the firing round, whose incidents read %q", in)
	}
	d.press("]")
	d.at(firingRound)
	if !strings.Contains(d.status(), "no action, override or incident change after") {
		t.Fatalf("] past the last mark: %q", d.status())
	}
	d.press("[", "[")
	d.at(outcomeAt)
}

// The timeline shows only what was journaled by the replay's clock.
func TestReplayTimelineStopsAtTheReplaysClock(t *testing.T) {
	rec := newFixedRecording()
	d := newReplay(t, &Playback{Rounds: rec, Journal: fixedJournal(rec)})
	d.press("space")
	if strings.Contains(d.screen(), "approval") || strings.Contains(d.screen(), "alice") {
		t.Fatalf("round 1 shows a record journaled at round %d:\n%s", approvalAt+1, d.screen())
	}
	d.press("]")
	if !strings.Contains(d.screen(), "approval") || strings.Contains(d.screen(), "S1 done") {
		t.Fatalf("at the override the timeline does not show it, or shows the outcome to come:\n%s", d.screen())
	}
	d.press("]")
	if !strings.Contains(d.screen(), "S1 done") {
		t.Fatalf("at the outcome the timeline does not show it:\n%s", d.screen())
	}
}

// g opens a field for a time: the round on screen then is shown; a time
// before the recording shows its first round and says so; nonsense is
// named and moves nothing; esc closes the field.
func TestReplayGoesToATime(t *testing.T) {
	d := newReplay(t, &Playback{Rounds: newFixedRecording()})
	d.press("space", "g")
	if !strings.Contains(d.status(), "go to time:") {
		t.Fatalf("g opened no field: %q", d.status())
	}
	target := clock.Add(time.Duration(40-fixedRounds+1)*time.Second + 500*time.Millisecond)
	d.press(target.Format("15:04:05"), "enter")
	d.at(40)
	d.press("g", "13:00", "enter")
	d.at(0)
	if !strings.Contains(d.status(), "the recording starts at") {
		t.Fatalf("going before the recording: %q", d.status())
	}
	d.press("right", "g", "half past", "enter")
	d.at(1)
	if !strings.Contains(d.status(), `"half past" is not a time`) {
		t.Fatalf("a bad time: %q", d.status())
	}
	d.press("g", "q", "esc")
	d.at(1) // q was typed into the field, not taken as quit
	if strings.Contains(d.status(), "go to time") {
		t.Fatalf("esc left the field open: %q", d.status())
	}
}

// No action key works in a replay, refresh reads nothing, and what the
// recording could not read stays on the status line.
func TestReplayIsReadOnlyAndSaysWhatItCouldNotRead(t *testing.T) {
	rec := newFixedRecording()
	rec.bad = map[int]bool{1: true}
	d := newReplay(t, &Playback{Rounds: rec, Notes: []string{"segment 20261207T194000-watch-1-0.rec.gz: torn tail after 14:03:21"}})
	d.press("space")
	for _, k := range []string{"enter", "r", "p"} {
		d.press(k)
		if !strings.Contains(d.status(), "read-only") || strings.Contains(d.screen(), "CONFIRM") {
			t.Fatalf("%s in a replay: %q", k, d.status())
		}
	}
	d.press("R")
	if !strings.Contains(d.status(), "a replay reads no new rounds") {
		t.Fatalf("refresh in a replay: %q", d.status())
	}
	if !strings.Contains(d.status(), "problem(s), ? shows them") {
		t.Fatalf("the torn tail is not said: %q", d.status())
	}
	d.press("?")
	if !strings.Contains(d.screen(), "segment 20261207T194000-watch-1-0.rec.gz: torn tail after 14:03:21") {
		t.Fatalf("the help overlay does not show the torn tail:\n%s", d.screen())
	}
	d.press("?")
	d.press("right")
	if !strings.Contains(d.status(), "round 2: decoding the observation: corrupt") {
		t.Fatalf("an unreadable round is not said: %q", d.status())
	}
	if f := strings.Split(d.screen(), "\n"); !strings.Contains(f[len(f)-1], "space pause") {
		t.Fatalf("the footer does not offer the replay's keys: %q", f[len(f)-1])
	}
}

// A replay needs a recording; it takes neither observer nor actor.
func TestReplayOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{
		{Mode: Replay},
		{Mode: Replay, Playback: &Playback{Rounds: &fixedRecording{}}},
		{Mode: Replay, Playback: &Playback{Rounds: newFixedRecording()}, Actor: &fakeActor{}},
	} {
		if _, err := New(context.Background(), o); err == nil {
			t.Errorf("%+v was taken", o)
		}
	}
}

// The evidence of a step shows the gates its confirm dialog showed, who
// approved and the override's reason, from the round of the approval on,
// never before it.
func TestReplayShowsTheGatesAtConfirmTime(t *testing.T) {
	rec := newFixedRecording()
	d := newReplay(t, &Playback{Rounds: rec, Journal: fixedJournal(rec)})
	d.press("space")
	selectItem(t, d.m, "S1")
	d.send(keyFor(d.m.keys.Evidence))
	if strings.Contains(d.screen(), "GATES AT CONFIRM") {
		t.Fatalf("round 1 shows a confirm still to come:\n%s", d.screen())
	}
	d.press("]")
	d.at(approvalAt)
	for _, want := range []string{"GATES AT CONFIRM", "approved by alice", "P4.gate UNKNOWN DB role isolation: no database",
		"overridden: rehearsal without a database"} {
		if !strings.Contains(d.screen(), want) {
			t.Fatalf("at the approval the evidence lacks %q:\n%s", want, d.screen())
		}
	}
}

// At 80×24 the replay's clock, its keys, help and quit all still show.
func TestReplayFitsEightyColumns(t *testing.T) {
	d := newReplay(t, &Playback{Rounds: newFixedRecording()})
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	lines := strings.Split(d.screen(), "\n")
	head, foot := lines[0], lines[len(lines)-1]
	if !strings.Contains(head, " REPLAY 14:02:23 ") {
		t.Errorf("the header at 80 columns: %q", head)
	}
	for _, want := range []string{"space pause", "[/] jump", "g go to time", "? help", "q quit"} {
		if !strings.Contains(foot, want) {
			t.Errorf("the footer at 80 columns lacks %q: %q", want, foot)
		}
	}
}

// The guard's banner is what the journal said of the guard by the
// replay's clock: none before it advised, its word after.
func TestReplayShowsTheGuardAsItStoodThen(t *testing.T) {
	rec := newFixedRecording()
	recs := append(fixedJournal(rec), journal.Record{Time: rec.times[pendingRound], Kind: journal.KindGuard, Verdict: "advised",
		Message: "guard advises a rollback: I2 write_error_spike pending"})
	d := newReplay(t, &Playback{Rounds: rec, Journal: recs})
	d.press("space")
	if strings.Contains(d.screen(), "guard advises") {
		t.Fatalf("round 1 shows the guard's word to come:\n%s", strings.Split(d.screen(), "\n")[0])
	}
	d.press("]", "]", "]")
	d.at(pendingRound)
	if h := strings.Split(d.screen(), "\n")[0]; !strings.Contains(h, "guard") {
		t.Fatalf("at the guard's word the header is %q", h)
	}
	d.press("[")
	if h := strings.Split(d.screen(), "\n")[0]; strings.Contains(h, "guard") {
		t.Fatalf("back before the guard's word the header is %q", h)
	}
}
