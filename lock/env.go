package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openagents/cockpit/internal/age"
)

// Env is an environment's lock, and the rule that a rollback always wins.
// Every action takes the lock file on this machine first, then, when the
// environment has a database, the PostgreSQL advisory lock that guards it
// across every operator's machine. A forward step refuses when either is
// held or the database cannot be reached within Timeout. A rollback takes
// both over from a forward step (asked to stop, waited for within
// Bounds.Stop), ends or bypasses a holder that is not a cockpit or is
// silent for Bounds.Silence, and goes on under the lock file alone when the
// database cannot be reached: only a live rollback holds it off. Whatever
// it falls back to is said through Note.
type Env struct {
	File     *File
	DB       *Postgres // nil: no database configured
	Timeout  time.Duration
	Rollback bool
	// Bounds: DefaultBounds when zero.
	Bounds Bounds
	// Note receives what a rollback did about a holder, for the journal and
	// the screen.
	Note func(h Holder, msg string)
}

// Acquire takes the file lock, then the advisory lock.
func (e *Env) Acquire(ctx context.Context, h Holder) (*Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not taking the lock: %w", context.Cause(ctx))
	}
	// A forward step's lease answers a rollback on this machine; a
	// rollback's never stops.
	e.File.Preemptible = !e.Rollback
	if e.Bounds == (Bounds{}) {
		e.Bounds = DefaultBounds
	}
	file, err := e.takeFile(ctx, h)
	if err != nil {
		return nil, err
	}
	if prev, ok := file.Abandoned(); ok && e.Note != nil {
		e.Note(h, AbandonedNote(prev, time.Now()))
	}
	if e.DB == nil {
		return file, nil
	}
	db, err := e.takeDB(ctx, h)
	var busy *BusyError
	switch {
	case err == nil:
		return Join(file, db), nil
	case ctx.Err() != nil:
		// Cancelled (a second signal): abort, never fall back.
		_ = file.Release()
		return nil, fmt.Errorf("taking the advisory lock: %w", context.Cause(ctx))
	case errors.As(err, &busy) || !e.Rollback:
		_ = file.Release()
		if busy == nil {
			err = fmt.Errorf("the advisory lock's database is unreachable within %s, so %s cannot run: %w", e.Timeout, h.Step, err)
		}
		return nil, err
	case IsBypass(err):
		e.Note(h, fmt.Sprintf("%v: rolling back without the advisory lock (under the file lock on this machine)", err))
	default:
		e.Note(h, fmt.Sprintf("advisory lock unavailable within %s (%v): rolling back under the file lock on this machine only", e.Timeout, err))
	}
	return file, nil
}

func (e *Env) takeDB(ctx context.Context, h Holder) (*Lease, error) {
	if !e.Rollback {
		dctx, cancel := context.WithTimeout(ctx, e.Timeout)
		defer cancel()
		return e.DB.Acquire(dctx, h)
	}
	lease, err := e.DB.AcquireRollback(ctx, h, e.Bounds, e.Timeout, func(msg string) { e.Note(h, msg) })
	if err == nil && len(lease.TookOver()) > 0 {
		e.Note(h, "took the lock over from "+holders(lease.TookOver()))
	}
	return lease, err
}

// takeFile takes the lock file; a rollback takes it over from a forward
// step on this machine, or from a suspended one.
func (e *Env) takeFile(ctx context.Context, h Holder) (*Lease, error) {
	lease, err := e.File.Acquire(ctx, h)
	var busy *BusyError
	if err == nil || !e.Rollback || !errors.As(err, &busy) {
		return lease, err
	}
	if busy.Holder.forward() {
		if err := e.File.Preempt(ctx, busy); err != nil {
			return nil, fmt.Errorf("%w; preempting it failed: %v", busy, err)
		}
		e.Note(h, fmt.Sprintf("preempting %s (%v): asked it to stop; the rollback takes the lock over", busy.Holder.Step, busy))
	}
	return e.waitFile(ctx, h, busy)
}

// waitFile waits for the lock file's holder to let go: a preempted forward
// step within Bounds.Stop, a suspended process within Bounds.Silence. Past
// its bound the rollback bypasses the lock file, saying so; a live rollback
// holds it off.
func (e *Env) waitFile(ctx context.Context, h Holder, busy *BusyError) (*Lease, error) {
	start, stoppedSince := time.Now(), time.Time{}
	for {
		lease, err := e.File.Acquire(ctx, h)
		var again *BusyError
		switch {
		case err == nil:
			if busy.Holder.forward() {
				e.Note(h, fmt.Sprintf("took the lock over from %s@%s pid %d (%s)", busy.Holder.Operator, busy.Holder.Host, busy.Holder.PID, busy.Holder.Step))
				lease.tookOver = []Holder{busy.Holder}
			}
			return lease, nil
		case !errors.As(err, &again):
			return nil, err
		}
		stopped, known := e.File.Stopped(again.Holder)
		if !stopped {
			stoppedSince = time.Time{}
		} else if stoppedSince.IsZero() {
			stoppedSince = time.Now()
		}
		// A holder with no name is between its flock and writing its name,
		// or between emptying the file and closing it: it is waited for
		// like a forward step.
		passing := again.Holder.forward() || again.Holder.PID == 0
		why := ""
		switch {
		case stopped && time.Since(stoppedSince) >= e.Bounds.Silence:
			why = fmt.Sprintf("its process has been suspended for %s", e.Bounds.Silence)
		case passing && time.Since(start) >= e.Bounds.Stop:
			why = fmt.Sprintf("it did not let go within %s", e.Bounds.Stop)
		case !passing && !stopped && !known:
			return nil, fmt.Errorf("%w (this machine cannot tell whether it is suspended: no /proc)", again)
		case !passing && !stopped:
			return nil, again // a live rollback holds another off
		}
		if why != "" {
			e.Note(h, fmt.Sprintf("%v: %s; rolling back without the lock file", again, why))
			return NewLease(func() error { return nil }, nil), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("taking the lock file: %w", context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func holders(hs []Holder) string {
	s := ""
	for i, h := range hs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s@%s pid %d (%s)", h.Operator, h.Host, h.PID, h.Step)
	}
	return s
}

// AbandonedWords begin the note that a lock's previous holder ended
// without releasing it; notifications tell it as the lock lost.
const AbandonedWords = "lock abandoned"

// AbandonedNote says that prev held the lock until its process ended
// without releasing it (killed, or crashed): nothing else will ever say
// its lock was let go, and its step may have stopped mid-way.
func AbandonedNote(prev Holder, now time.Time) string {
	msg := fmt.Sprintf("%s: %s@%s pid %d", AbandonedWords, prev.Operator, prev.Host, prev.PID)
	if prev.Step != "" {
		msg += " took it for " + prev.Step
	}
	if !prev.Since.IsZero() {
		msg += fmt.Sprintf(" at %s (%s ago)", prev.Since.Local().Format(time.TimeOnly), age.Format(now.Sub(prev.Since)))
	}
	return msg + " and ended without releasing it (killed or crashed): check where its step stopped"
}
