package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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
	seq         uint64 // the last round started
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
// executor, possibly in another process, so it is re-read every round.
func (o *observer) readJournal() tea.Cmd {
	if o.journalPath == "" {
		return nil
	}
	path := o.journalPath
	return func() tea.Msg {
		recs, err := journal.Read(path)
		return journalMsg{Records: recs, Err: err}
	}
}
