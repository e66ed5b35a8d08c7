package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openagents/cockpit/journal"
)

// History is what one environment's journal says was done: progress, not
// truth. The runbook's order (S2 after S1's mode change, S3 after S2,
// production after staging) is enforced on it, and R4 is judged against the
// rollback it belongs to; where the cutover stands is still observed.
type History struct {
	// Done is when each step or check item last finished OK (S1…S4, V1…V4,
	// P1…P4, rollback), from its final outcome.
	Done map[string]time.Time
	// SubSteps are the sub-steps of each item's last OK run, by name
	// (set_rust_write_mode=rust_active…): the values it set.
	SubSteps map[string][]string
	// ModeChanged is the last time an actuator call to change the Rust
	// write mode was journaled: every change restarts the runtime, and its
	// runs live in memory only, so a write probe before it proves nothing.
	ModeChanged time.Time
	// WriteProbe is the last write probe that passed (S2 or V1).
	WriteProbe time.Time
	// RollbackStarted is the last rollback's approval.
	RollbackStarted time.Time
	// Open are the actions approved with no final outcome yet.
	Open []OpenAction
	// Err is the last read problem (a torn line is skipped and named).
	Err error
}

// OpenAction is an approved action whose final outcome is not journaled:
// still running, or its process died mid-way.
type OpenAction struct {
	Step     string
	Operator string
	Host     string
	PID      int
	Approved time.Time
	LastSeen time.Time // its last journaled record
}

// Alive says whether the action's process may still be running: on this
// host, its PID exists; elsewhere, it journaled within quiet.
func (a OpenAction) Alive(host string, now time.Time, quiet time.Duration) bool {
	if a.Host == host && a.PID > 0 {
		return pidAlive(a.PID)
	}
	return now.Sub(a.LastSeen) < quiet
}

func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// DoneAfter says whether item finished OK at or after t.
func (h History) DoneAfter(item string, t time.Time) bool {
	done, ok := h.Done[item]
	return ok && !done.Before(t)
}

// historyReader folds a journal into a History incrementally: each read
// parses only the lines appended since the last one, so its cost does not
// grow with the journal.
type historyReader struct {
	path string

	mu      sync.Mutex
	offset  int64
	partial []byte // a last line not yet ended by a newline
	h       History
	pending map[string][]string // sub-steps of open actions that passed
}

func newHistoryReader(path string) *historyReader {
	return &historyReader{path: path}
}

// Read returns the history as of the journal's current end.
func (r *historyReader) Read() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.Open(r.path)
	if errors.Is(err, os.ErrNotExist) {
		r.reset()
		return r.snapshot()
	}
	if err != nil {
		r.h.Err = err
		return r.snapshot()
	}
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err == nil && st.Size() < r.offset {
		r.reset() // truncated or replaced: start over
	}
	if _, err := f.Seek(r.offset, io.SeekStart); err != nil {
		r.h.Err = err
		return r.snapshot()
	}
	br := bufio.NewReaderSize(f, 64*1024)
	for {
		line, err := br.ReadBytes('\n')
		r.offset += int64(len(line))
		if err != nil {
			r.partial = append(r.partial, line...)
			break
		}
		if len(r.partial) > 0 {
			line = append(r.partial, line...)
			r.partial = nil
		}
		r.fold(bytes.TrimSpace(line))
	}
	return r.snapshot()
}

func (r *historyReader) reset() {
	r.offset, r.partial, r.h, r.pending = 0, nil, History{}, nil
}

func (r *historyReader) snapshot() History {
	h := r.h
	h.Open = append([]OpenAction(nil), r.h.Open...)
	return h
}

func (r *historyReader) fold(line []byte) {
	if len(line) == 0 {
		return
	}
	var rec journal.Record
	if err := json.Unmarshal(line, &rec); err != nil || rec.Kind == "" {
		r.h.Err = errors.New("skipped a torn or corrupt journal line")
		return
	}
	h := &r.h
	if h.Done == nil {
		h.Done, h.SubSteps, r.pending = map[string]time.Time{}, map[string][]string{}, map[string][]string{}
	}
	switch rec.Kind {
	case journal.KindApproval:
		h.Open = append(h.Open, OpenAction{Step: rec.Step, Operator: rec.Operator, Host: rec.Host, PID: rec.PID,
			Approved: rec.Time, LastSeen: rec.Time})
		r.pending[rec.Step] = nil
		if rec.Step == RollbackID {
			h.RollbackStarted = rec.Time
		}
	case journal.KindVerdict:
		// The engine journals verdict changes with the item as Check.
		if rec.Verdict == "PASS" && FindItem(RunbookItems(), rec.Check) != nil {
			h.Done[rec.Check] = rec.Time
		}
	case journal.KindIntent:
		if len(rec.Argv) > 0 && strings.Contains(rec.Check, "set_rust_write_mode") {
			h.ModeChanged = rec.Time
		}
	case journal.KindOutcome:
		ok := rec.OK != nil && *rec.OK
		switch {
		case rec.Check == "":
			r.closeOpen(rec.Step)
			if ok {
				h.Done[rec.Step] = rec.Time
				h.SubSteps[rec.Step] = r.pending[rec.Step]
			}
			delete(r.pending, rec.Step)
		case ok:
			r.pending[rec.Step] = append(r.pending[rec.Step], rec.Check)
			if rec.Check == writeProbeStepName {
				h.WriteProbe = rec.Time
			}
		}
	}
	for i := range h.Open {
		if h.Open[i].Step == rec.Step {
			h.Open[i].LastSeen = rec.Time
		}
	}
}

// closeOpen ends the newest open action of step.
func (r *historyReader) closeOpen(step string) {
	open := r.h.Open
	for i := len(open) - 1; i >= 0; i-- {
		if open[i].Step == step {
			r.h.Open = append(open[:i:i], open[i+1:]...)
			return
		}
	}
}
