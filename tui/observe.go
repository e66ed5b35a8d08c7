package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// StateMsg is one observation round's result. Seq orders rounds so a late
// reply from an older round never overwrites a newer one.
type StateMsg struct {
	Seq   uint64
	State runbook.State
}

// tickMsg asks for the next observation round.
type tickMsg struct{}

// journalMsg carries the journal's newest records, the window, to the
// timeline and the evidence view.
type journalMsg struct {
	Records []journal.Record
	Err     error
}

// journalReadMsg is one read of the journal: what was appended since the
// read before it, and what the I/O saw. Seq numbers the reads so a reply
// that is not the newest read's is dropped, as a stale round is.
type journalReadMsg struct {
	Seq     uint64
	Records []journal.Record
	Restart bool  // the journal was replaced: read again from its start
	Err     error // as journal.Tail.Next returned it
	Pending int   // bytes of an unfinished last line (journal.Tail.Pending)
	// Theirs are other machines' records taken from the shared feed, and
	// SharedN how many of them have been taken in all.
	Theirs  []journal.Record
	SharedN int
}

// observer owns the refresh loop: one round in flight at most, rounds
// numbered, stale replies dropped; the journal is read the same way.
type observer struct {
	src      Observer
	base     context.Context
	timeout  time.Duration
	refresh  time.Duration
	journal  *journalWindow // the timeline's reader, nil without a journal
	seq      uint64         // the last round started
	inFlight bool
}

// start begins a round unless one is already running (no overlapping observe).
func (o *observer) start() tea.Cmd {
	if o.inFlight {
		return nil
	}
	o.inFlight = true
	o.seq++
	seq, src, base, timeout := o.seq, o.src, o.base, o.timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		return StateMsg{Seq: seq, State: src.Observe(ctx)}
	}
}

// accept reports whether a reply is the current round's, and schedules the
// next round and a journal read when it is.
func (o *observer) accept(msg StateMsg) (bool, tea.Cmd) {
	if msg.Seq != o.seq {
		return false, nil
	}
	o.inFlight = false
	next := tea.Tick(o.refresh, func(time.Time) tea.Msg { return tickMsg{} })
	return true, tea.Batch(next, o.readJournal())
}

// readJournal reads the journal for the timeline; see journalWindow.
func (o *observer) readJournal() tea.Cmd {
	if o.journal == nil {
		return nil
	}
	return o.journal.start()
}

// journalWindow keeps the journal's newest timelineKeep records. The
// journal is written by the executor, possibly in another process, so it
// is read every round, but only from where the last read stopped: a round
// costs the same at 100k records as at none. The read itself runs in a
// command; its result is applied in Update (apply), in order, one read in
// flight at a time, so no goroutine ever touches the window. A torn or
// corrupt line is skipped and named, never fatal. A safe frozen probe's
// answer journaled again unchanged (operating processes refresh it for
// watchers) is left out: the timeline shows changes.
type journalWindow struct {
	// tail is the read position. Only the one read in flight uses it
	// (journal.Tail guards itself too); the model only hands it on.
	tail     *journal.Tail
	shared   *runbook.SharedFeed // other machines' records, nil when not followed
	seq      uint64              // the last read started
	inFlight bool
	again    bool // a read was asked for while one was in flight
	recs     []journal.Record
	err      error
	torn     int // bytes of an unfinished last line seen on the previous read
	probes   runbook.ProbeRepeats
	skipped  []int // corrupt line numbers, newest last, bounded
	sharedN  int   // how many of the shared feed's records have been taken
}

func newJournalWindow(path string, shared *runbook.SharedFeed) *journalWindow {
	return &journalWindow{tail: journal.NewTail(path), shared: shared}
}

// maxSkippedShown bounds the corrupt line numbers the timeline names.
const maxSkippedShown = 5

// start begins a read, or, while one is in flight, asks for another as
// soon as it lands: reads never overlap, and none is lost.
func (j *journalWindow) start() tea.Cmd {
	if j.inFlight {
		j.again = true
		return nil
	}
	j.inFlight = true
	j.seq++
	seq, tail, shared, sharedN := j.seq, j.tail, j.shared, j.sharedN
	return func() tea.Msg { return readJournal(seq, tail, shared, sharedN) }
}

// readJournal is one read's I/O: the tail's new records and the shared
// feed's, nothing applied.
func readJournal(seq uint64, tail *journal.Tail, shared *runbook.SharedFeed, sharedN int) journalReadMsg {
	msg := journalReadMsg{Seq: seq, SharedN: sharedN}
	msg.Records, msg.Restart, msg.Err = tail.Next()
	if msg.Restart {
		msg.SharedN = 0
	}
	if shared != nil {
		msg.Theirs, msg.SharedN = shared.Since(msg.SharedN)
	}
	msg.Pending = tail.Pending()
	return msg
}

// apply takes a read's result into the window and returns the window for
// the timeline, whether the read was the newest (a stale one changes
// nothing), and the read asked for meanwhile, if any.
func (j *journalWindow) apply(msg journalReadMsg) (journalMsg, bool, tea.Cmd) {
	if msg.Seq != j.seq || !j.inFlight {
		return journalMsg{}, false, nil
	}
	j.inFlight = false
	if msg.Restart {
		j.recs, j.err, j.skipped, j.probes = nil, nil, nil, runbook.ProbeRepeats{}
	}
	j.sharedN = msg.SharedN
	recs := msg.Records
	if len(msg.Theirs) > 0 {
		recs = append(recs, msg.Theirs...)
		slices.SortStableFunc(recs, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
	}
	for _, r := range recs {
		if !j.probes.Repeat(r) {
			j.recs = append(j.recs, r)
		}
	}
	if len(j.recs) > 2*timelineKeep { // trim now and then, not every round
		j.recs = slices.Clone(j.recs[len(j.recs)-timelineKeep:])
	}
	j.noteError(msg.Err)
	var next tea.Cmd
	if j.again {
		j.again = false
		next = j.start()
	}
	window := j.recs[max(len(j.recs)-timelineKeep, 0):]
	return journalMsg{Records: slices.Clone(window), Err: j.shown(msg.Pending)}, true, next
}

// noteError keeps a read's error: corrupt lines add to those named.
func (j *journalWindow) noteError(err error) {
	var corrupt *journal.CorruptError
	switch {
	case errors.As(err, &corrupt):
		j.skipped = append(j.skipped, corrupt.Lines...)
		if len(j.skipped) > maxSkippedShown {
			j.skipped = j.skipped[len(j.skipped)-maxSkippedShown:]
		}
		j.err = &journal.CorruptError{Path: corrupt.Path, Lines: slices.Clone(j.skipped)}
	case err != nil:
		j.err = err
	}
}

// shown is the error the timeline shows. A last line still unfinished a
// round later is a torn write (a killed process), not one in progress: it
// is named until it is ended.
func (j *journalWindow) shown(pending int) error {
	shown := j.err
	if pending > 0 && pending == j.torn {
		torn := fmt.Sprintf("%s: last line unfinished (%d bytes): skipped", j.tail.Path(), pending)
		if shown != nil {
			shown = fmt.Errorf("%w; %s", shown, torn)
		} else {
			shown = errors.New(torn)
		}
	}
	j.torn = pending
	return shown
}
