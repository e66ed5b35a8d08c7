package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

// Recording is a recorded session for cockpit replay: its rounds in time
// order, each the state the screen received that round. Time is cheap and
// is called in Update; State may decode and is called in commands, from
// more than one goroutine at once, so it must not change the recording.
// Incidents is a round's incidents alone, as its State has them, read
// once for every round to find where they changed: cheaper than State.
type Recording interface {
	Len() int
	Time(i int) time.Time
	State(i int) (runbook.State, error)
	Incidents(i int) ([]runbook.IncidentStatus, error)
}

// Playback is what cockpit replay plays back: the recording, the
// environment's journal (each record is shown once the replay's clock
// reaches it) and what could not be read (a torn tail, a segment of
// another format), said on the status line for as long as the replay runs.
type Playback struct {
	Rounds     Recording
	Journal    []journal.Record
	JournalErr error
	Notes      []string
	// Speed plays the rounds at Speed times their recorded pace (default 1).
	Speed float64
}

// maxReplayWait bounds the wait between two rounds while playing: a gap
// in the recording (no process observed) is crossed in this long at most,
// whatever the speed.
const maxReplayWait = 2 * time.Second

// maxGoToInput bounds the go-to-time field: the longest time it reads
// (2006-01-02T15:04:05+07:00) and a little more.
const maxGoToInput = 32

// replayTickMsg is the replay's clock: time for the next round. Seq drops
// the tick of a play that was paused or moved since.
type replayTickMsg struct{ Seq uint64 }

// replayRoundMsg is a round read from the recording, to be shown. Seq
// drops a read that a newer move replaced.
type replayRoundMsg struct {
	Seq   uint64
	Index int
	State runbook.State
	Err   error
}

// replayMarksMsg is where [ and ] stop: the rounds at an action, an
// override or an incident's change, found once, in a command.
type replayMarksMsg struct {
	Marks []int
	Err   error
}

// ReplayKeyMap is the replay's keys.
type ReplayKeyMap struct {
	Pause, Back, Forward, PrevMark, NextMark, GoTo key.Binding
}

// DefaultReplayKeyMap is the replay's bindings.
func DefaultReplayKeyMap() ReplayKeyMap {
	return ReplayKeyMap{
		Pause:    key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause")),
		Back:     key.NewBinding(key.WithKeys("left"), key.WithHelp("←/→", "step")),
		Forward:  key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "step forward")),
		PrevMark: key.NewBinding(key.WithKeys("["), key.WithHelp("[/]", "jump")),
		NextMark: key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "jump forward")),
		GoTo:     key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "go to time")),
	}
}

// replayer drives the screen from a recording: which round is shown, the
// play clock, the marks [ and ] jump between and the go-to-time field.
// Its View is the replay's status line. The root shows the round it
// accepts (Accept) at the round's time (At), with the journal as it stood
// then (JournalAt).
type replayer struct {
	c       *common
	keys    ReplayKeyMap
	root    *KeyMap // the screen's keys: Refresh is answered here
	rec     Recording
	journal []journal.Record // time-ordered, repeated probe answers left out
	jerr    error
	notes   []string
	speed   float64

	pos, want int // the round shown (-1: none yet), the round being read
	loadSeq   uint64
	tickSeq   uint64
	playing   bool
	marks     []int
	indexed   bool   // marks have landed
	message   string // the replay's last word (end of the recording, a bad time)
	input     []rune // the go-to-time field while open
	inputOn   bool
	width     int
}

func newReplayer(c *common, root *KeyMap, r *Playback) *replayer {
	recs := slices.Clone(r.Journal)
	slices.SortStableFunc(recs, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
	var probes runbook.ProbeRepeats
	recs = slices.DeleteFunc(recs, probes.Repeat)
	speed := r.Speed
	if speed <= 0 {
		speed = 1
	}
	return &replayer{c: c, keys: DefaultReplayKeyMap(), root: root, rec: r.Rounds, journal: recs, jerr: r.JournalErr,
		notes: slices.Clone(r.Notes), speed: speed, pos: -1, playing: true}
}

// Init reads the first round and finds the marks.
func (r *replayer) Init() tea.Cmd {
	return tea.Batch(r.load(0), r.findMarks())
}

// Update takes the replay's keys, its clock and its marks. A round read
// (replayRoundMsg) is the root's to accept (Accept).
func (r *replayer) Update(msg tea.Msg) (*replayer, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if r.inputOn {
			return r, r.typeTime(msg)
		}
		return r, r.key(msg)
	case replayTickMsg:
		if msg.Seq != r.tickSeq || !r.playing {
			return r, nil
		}
		return r, r.moveTo(r.pos + 1)
	case replayMarksMsg:
		r.marks, r.indexed = msg.Marks, true
		if msg.Err != nil {
			r.notes = append(r.notes, "marks: "+msg.Err.Error())
		}
	}
	return r, nil
}

// Takes reports whether a key is the replay's: its own, any key while the
// go-to-time field is open, and refresh, which a replay cannot do.
func (r *replayer) Takes(msg tea.KeyPressMsg) bool {
	k := r.keys
	return r.inputOn || key.Matches(msg, k.Pause, k.Back, k.Forward, k.PrevMark, k.NextMark, k.GoTo, r.root.Refresh)
}

// key answers one of the replay's keys; each says anew what it did.
func (r *replayer) key(msg tea.KeyPressMsg) tea.Cmd {
	k := r.keys
	r.message = ""
	switch {
	case key.Matches(msg, k.Pause):
		return r.togglePlay()
	case key.Matches(msg, k.Back):
		r.pause()
		return r.step(-1)
	case key.Matches(msg, k.Forward):
		r.pause()
		return r.step(1)
	case key.Matches(msg, k.PrevMark):
		return r.jump(-1)
	case key.Matches(msg, k.NextMark):
		return r.jump(1)
	case key.Matches(msg, k.GoTo):
		r.inputOn, r.input = true, r.input[:0]
	case key.Matches(msg, r.root.Refresh):
		r.message = "a replay reads no new rounds"
	}
	return nil
}

// togglePlay pauses, or plays on from the round shown.
func (r *replayer) togglePlay() tea.Cmd {
	if r.playing {
		r.pause()
		return nil
	}
	if r.pos+1 >= r.rec.Len() {
		r.message = "end of the recording: step back or go to a time first"
		return nil
	}
	r.playing = true
	r.tickSeq++
	return r.tick()
}

// pause stops the clock; a tick on its way is dropped.
func (r *replayer) pause() {
	r.playing = false
	r.tickSeq++
}

// step moves d rounds from the round asked for last, within the recording.
func (r *replayer) step(d int) tea.Cmd {
	i := r.want + d
	switch {
	case i < 0:
		r.message = "the first round of the recording"
		return nil
	case i >= r.rec.Len():
		r.message = "the last round of the recording"
		return nil
	}
	return r.moveTo(i)
}

// jump moves to the previous (d < 0) or next mark.
func (r *replayer) jump(d int) tea.Cmd {
	if !r.indexed {
		r.message = "still finding the actions and incidents in the recording…"
		return nil
	}
	i, ok := nextMark(r.marks, r.want, d)
	if !ok {
		where := "after"
		if d < 0 {
			where = "before"
		}
		r.message = fmt.Sprintf("no action, override or incident change %s %s", where, r.clockText(r.want))
		return nil
	}
	return r.moveTo(i)
}

// nextMark is the first mark after from (d > 0) or the last before it.
func nextMark(marks []int, from, d int) (int, bool) {
	n := sort.SearchInts(marks, from+1)
	if d < 0 {
		n = sort.SearchInts(marks, from) - 1
	}
	if n < 0 || n >= len(marks) {
		return 0, false
	}
	return marks[n], true
}

// moveTo reads round i; the clock stops until it lands. At the end of the
// recording the play stops and says so.
func (r *replayer) moveTo(i int) tea.Cmd {
	if i >= r.rec.Len() {
		r.playing = false
		r.message = "end of the recording"
		return nil
	}
	r.tickSeq++
	return r.load(i)
}

// load reads round i in a command.
func (r *replayer) load(i int) tea.Cmd {
	r.loadSeq++
	r.want = i
	seq, rec := r.loadSeq, r.rec
	return func() tea.Msg {
		st, err := rec.State(i)
		return replayRoundMsg{Seq: seq, Index: i, State: st, Err: err}
	}
}

// Accept reports whether a read round is the one to show now, makes it
// the shown one, and starts the clock toward the next while playing. A
// round that could not be read is said and passed over.
func (r *replayer) Accept(msg replayRoundMsg) (bool, tea.Cmd) {
	if msg.Seq != r.loadSeq {
		return false, nil
	}
	r.pos = msg.Index
	if msg.Err != nil {
		r.message = fmt.Sprintf("round %d: %v", msg.Index+1, msg.Err)
		return false, r.tick()
	}
	return true, r.tick()
}

// tick schedules the next round at the recorded pace, while playing.
func (r *replayer) tick() tea.Cmd {
	if !r.playing {
		return nil
	}
	if r.pos+1 >= r.rec.Len() {
		r.playing = false
		r.message = "end of the recording"
		return nil
	}
	gap := r.rec.Time(r.pos + 1).Sub(r.rec.Time(r.pos))
	wait := min(max(time.Duration(float64(gap)/r.speed), 0), maxReplayWait)
	seq := r.tickSeq
	return tea.Tick(wait, func(time.Time) tea.Msg { return replayTickMsg{Seq: seq} })
}

// At is the replay's clock: the time of the round being shown, or being
// read, in UTC, as the report and --from, --to and g read times
// (recording.ParseTime).
func (r *replayer) At() time.Time { return r.rec.Time(max(r.want, 0)).UTC() }

// clockText is round i's time as the header shows it.
func (r *replayer) clockText(i int) string { return r.rec.Time(i).UTC().Format("15:04:05") }

// utc is a clock that reads UTC: a replay shows every time in UTC.
func utc(now func() time.Time) func() time.Time { return func() time.Time { return now().UTC() } }

// JournalAt is the journal as it stood at the replay's clock: the
// timeline and the evidence show no record from after it.
func (r *replayer) JournalAt() journalMsg {
	at := r.rec.Time(max(r.pos, 0))
	n := sort.Search(len(r.journal), func(i int) bool { return r.journal[i].Time.After(at) })
	return journalMsg{Records: slices.Clone(r.journal[max(n-timelineKeep, 0):n]), Err: r.jerr}
}

// findMarks is, in a command, every round at which an incident's state
// changed, and the first round at or after each action, approval,
// refusal and override the journal holds: where [ and ] stop.
func (r *replayer) findMarks() tea.Cmd {
	rec, recs := r.rec, r.journal
	return func() tea.Msg {
		seen := map[int]bool{}
		var errs []error
		prev := ""
		for i := range rec.Len() {
			incs, err := rec.Incidents(i)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if sig := incidentStates(incs); i > 0 && sig != prev {
				seen[i] = true
			}
			prev = incidentStates(incs)
		}
		for _, j := range recs {
			if !isMarked(j.Kind) {
				continue
			}
			if i := sort.Search(rec.Len(), func(i int) bool { return !rec.Time(i).Before(j.Time) }); i < rec.Len() {
				seen[i] = true
			}
		}
		marks := make([]int, 0, len(seen))
		for i := range seen {
			marks = append(marks, i)
		}
		slices.Sort(marks)
		return replayMarksMsg{Marks: marks, Err: firstOf(errs)}
	}
}

// incidentStates is every incident's state in one comparable string.
func incidentStates(incs []runbook.IncidentStatus) string {
	var b strings.Builder
	for _, in := range incs {
		b.WriteString(in.Runbook + " " + in.ID + "=" + in.State.String() + ";")
	}
	return b.String()
}

// isMarked is whether a journal record is one [ and ] stop at: what
// people did, what the executor did for them, and the guard's word.
func isMarked(kind string) bool {
	switch kind {
	case journal.KindApproval, journal.KindOverride, journal.KindRefused, journal.KindIntent, journal.KindOutcome, journal.KindGuard:
		return true
	}
	return false
}

// firstOf is how many rounds could not be read, naming the first.
func firstOf(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d rounds could not be read, the first: %w", len(errs), errs[0])
}

// typeTime edits the go-to-time field: enter goes, esc closes it.
func (r *replayer) typeTime(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.Code {
	case tea.KeyEscape:
		r.inputOn = false
	case tea.KeyEnter:
		r.inputOn = false
		return r.goTo(string(r.input))
	case tea.KeyBackspace:
		if len(r.input) > 0 {
			r.input = r.input[:len(r.input)-1]
		}
	default:
		if len(r.input)+len([]rune(msg.Text)) <= maxGoToInput {
			r.input = append(r.input, []rune(msg.Text)...)
		}
	}
	return nil
}

// goTo shows the round on screen at a time (recording.ParseTime, with the
// replay's clock as now): the last one at or before it.
func (r *replayer) goTo(text string) tea.Cmd {
	t, err := recording.ParseTime(strings.TrimSpace(text), r.At())
	if err != nil {
		r.message = err.Error()
		return nil
	}
	n := r.rec.Len()
	i := sort.Search(n, func(i int) bool { return r.rec.Time(i).After(t) }) - 1
	switch {
	case i < 0:
		i = 0
		r.message = "the recording starts at " + r.clockText(0)
	case i == n-1 && t.Sub(r.rec.Time(i)) > maxReplayWait:
		r.message = "the recording ends at " + r.clockText(i)
	}
	return r.moveTo(i)
}

// View is the replay's status line: playing or paused, where in the
// recording, its last word, and what could not be read; or the open
// go-to-time field.
func (r *replayer) View() string {
	st := r.c.styles
	if r.inputOn {
		return st.Focused.Render("go to time: "+string(r.input)+"█") + st.Muted.Render("  13:42:10 or 2026-12-07 13:42 (UTC), or 10m back · enter go · esc cancel")
	}
	state := "▶ playing"
	if !r.playing {
		state = "⏸ paused"
	}
	if r.speed != 1 {
		state += fmt.Sprintf(" %g×", r.speed)
	}
	n := r.rec.Len()
	parts := []string{st.Focused.Render(state), fmt.Sprintf("round %d of %d", max(r.want, 0)+1, n)}
	if r.message != "" {
		parts = append(parts, r.message)
	}
	if len(r.notes) > 0 {
		parts = append(parts, st.Warn.Render(fmt.Sprintf("⚠ recording: %d problem(s), ? shows them: %s", len(r.notes), r.notes[0])))
	}
	parts = append(parts, "recorded "+r.clockText(0)+"–"+r.clockText(n-1)+" UTC")
	return strings.Join(parts, st.Muted.Render(" · "))
}

// Notes is what the recording could not read, one line each, wrapped to
// the screen's width: the help overlay shows them in full.
func (r *replayer) Notes() []string {
	if len(r.notes) == 0 {
		return nil
	}
	lines := []string{r.c.styles.Title.Render("WHAT THE RECORDING COULD NOT READ")}
	return append(append(lines, wrapLines(r.notes, r.width)...), "")
}

// ShortHelp is the replay's keys on the footer.
func (r *replayer) ShortHelp() []key.Binding {
	return []key.Binding{r.keys.Pause, r.keys.Back, r.keys.PrevMark, r.keys.GoTo}
}

// FullHelp is the replay's keys in the help overlay, said in full.
func (r *replayer) FullHelp() [][]key.Binding {
	k := r.keys
	k.Pause.SetHelp("space", "pause / play at the recorded pace")
	k.Back.SetHelp("←", "step back a round")
	k.Forward.SetHelp("→", "step forward a round")
	k.PrevMark.SetHelp("[", "previous action, override or incident change")
	k.NextMark.SetHelp("]", "next action, override or incident change")
	k.GoTo.SetHelp("g", "go to a time (13:42:10)")
	return [][]key.Binding{{k.Pause, k.Back, k.Forward}, {k.PrevMark, k.NextMark, k.GoTo}}
}

// SetSize takes the status line's width.
func (r *replayer) SetSize(w, _ int) { r.width = w }

// acts reports whether a mode's screen may act: watch and replay never do.
func (m Mode) acts() bool { return m != Watch && m != Replay }

// clock is the frame's time: now, or in a replay the time of the round shown.
func (m *Model) clock() time.Time {
	if m.replay != nil {
		return m.replay.At()
	}
	return m.c.now()
}

// firstRound starts the screen's data: the first observation round and
// journal read, or in a replay the recording's first round.
func (m *Model) firstRound() tea.Cmd {
	if m.replay != nil {
		return m.replay.Init()
	}
	return tea.Batch(m.obs.start(), m.obs.readJournal())
}

// handleReplayRound shows a round read from the recording, as a live round
// is shown, with the journal as it stood then.
func (m *Model) handleReplayRound(msg replayRoundMsg) tea.Cmd {
	ok, next := m.replay.Accept(msg)
	m.c.at = m.clock()
	if !ok {
		return next
	}
	m.state = msg.State
	m.panes.Update(StateMsg{State: msg.State})
	m.list.Update(StateMsg{State: msg.State})
	window := m.replay.JournalAt()
	m.c.noteGuard(journalReadMsg{Restart: true, Records: window.Records}) // the guard's banner as it stood then
	m.route(window)
	return next
}
