package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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

// journalMsg carries the journal's latest records for the timeline.
type journalMsg struct {
	Records []journal.Record
	Err     error
}

// observer owns the refresh loop: one round in flight at most, rounds
// numbered, stale replies dropped.
type observer struct {
	src         Observer
	base        context.Context
	timeout     time.Duration
	refresh     time.Duration
	journalPath string
	shared      *runbook.SharedFeed // other machines' records, nil when not followed
	journal     *journalWindow      // the timeline's reader, made on first use
	seq         uint64              // the last round started
	inFlight    bool
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

// readJournal loads the timeline's records; the journal is written by the
// executor, possibly in another process, so it is read every round, but
// only from where the last read stopped: a tick costs the same at 100k
// records as at none.
func (o *observer) readJournal() tea.Cmd {
	if o.journalPath == "" {
		return nil
	}
	if o.journal == nil {
		o.journal = newJournalWindow(o.journalPath)
		o.journal.shared = o.shared
	}
	jw := o.journal
	return func() tea.Msg { return jw.read() }
}

// journalWindow reads the journal incrementally and keeps its newest
// timelineKeep records. A torn or corrupt line is skipped and named, never
// fatal. A safe frozen probe's answer journaled again unchanged (operating
// processes refresh it for watchers) is left out: the timeline shows
// changes.
type journalWindow struct {
	mu      sync.Mutex
	tail    *journal.Tail
	recs    []journal.Record
	err     error
	torn    int // bytes of an unfinished last line seen on the previous read
	probes  runbook.ProbeRepeats
	skipped []int // corrupt line numbers, newest last, bounded
	// shared are other machines' records (nil: none), sharedN how many
	// have been taken; they are merged with this machine's by time.
	shared  *runbook.SharedFeed
	sharedN int
}

func newJournalWindow(path string) *journalWindow {
	return &journalWindow{tail: journal.NewTail(path)}
}

// maxSkippedShown bounds the corrupt line numbers the timeline names.
const maxSkippedShown = 5

func (j *journalWindow) read() journalMsg {
	j.mu.Lock()
	defer j.mu.Unlock()
	recs, restart, err := j.tail.Next()
	if restart {
		j.recs, j.err, j.skipped, j.probes = nil, nil, nil, runbook.ProbeRepeats{}
		j.sharedN = 0
	}
	if j.shared != nil {
		var theirs []journal.Record
		theirs, j.sharedN = j.shared.Since(j.sharedN)
		if len(theirs) > 0 {
			recs = append(recs, theirs...)
			slices.SortStableFunc(recs, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
		}
	}
	for _, r := range recs {
		if j.probes.Repeat(r) {
			continue
		}
		j.recs = append(j.recs, r)
	}
	if len(j.recs) > 2*timelineKeep { // trim now and then, not every tick
		j.recs = slices.Clone(j.recs[len(j.recs)-timelineKeep:])
	}
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
	shown := j.err
	// A last line still unfinished a round later is a torn write (a killed
	// process), not one in progress: say so until it is ended.
	pending := j.tail.Pending()
	if pending > 0 && pending == j.torn {
		torn := fmt.Sprintf("%s: last line unfinished (%d bytes): skipped", j.tail.Path(), pending)
		if shown != nil {
			shown = fmt.Errorf("%w; %s", shown, torn)
		} else {
			shown = errors.New(torn)
		}
	}
	j.torn = pending
	window := j.recs[max(len(j.recs)-timelineKeep, 0):]
	return journalMsg{Records: slices.Clone(window), Err: shown}
}
