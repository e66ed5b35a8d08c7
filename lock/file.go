package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// File is an flock(2) lock on one file per environment
// (<state_dir>/<env>.lock). flock belongs to the open file, so the kernel
// frees it when the holder exits, however it exits; the file itself stays and
// holds the last holder's JSON only while the lock is held.
type File struct {
	Path string
	// Now stamps refusals; time.Now when nil.
	Now func() time.Time
	// BestEffortHolder is a rollback's: a full or read-only state disk
	// that refuses the holder's JSON (or even a writable open) does not
	// keep it from taking the lock; flock holds either way, and an
	// unknown holder is only less informative to whoever finds it busy.
	BestEffortHolder bool
	// Preemptible makes the lease answer a rollback on this machine: its
	// SIGUSR1 (preemptSignal) ends the lease (Lost, Check), never the
	// process, so a screen running the step survives the preemption.
	Preemptible bool
}

// preemptSignal is how a rollback on this machine asks the holder of the
// lock file to stop its step. Not SIGTERM: that ends the whole process, and
// with it the operator's screen.
const preemptSignal = syscall.SIGUSR1

// FileLock returns the flock-based lock at path.
func FileLock(path string) *File { return &File{Path: path} }

// Acquire takes the lock without waiting: a held lock is a *BusyError now,
// never a queue an operator did not ask to join.
func (l *File) Acquire(ctx context.Context, holder Holder) (*Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("taking the lock: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return nil, fmt.Errorf("creating lock directory: %w", err)
	}
	f, err := l.open()
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Holder: readHolder(f), At: l.now()}
		}
		return nil, fmt.Errorf("locking %s: %w", l.Path, err)
	}
	// The signal is caught before anyone can read our pid from the file:
	// uncaught, SIGUSR1 would kill the process.
	lost, check, stopWatch := l.watchPreemption()
	// A release empties the file: a holder still named in it ended
	// without one (killed), and the kernel let go of its flock.
	prev := readHolder(f)
	if err := writeHolder(f, holder); err != nil && !l.BestEffortHolder {
		stopWatch()
		_ = f.Close()
		return nil, fmt.Errorf("writing lock holder: %w", err)
	}
	release := func() error {
		stopWatch()
		// Empty the file first so nobody reads a stale holder after we unlock.
		truncErr := f.Truncate(0)
		if err := f.Close(); err != nil {
			return fmt.Errorf("releasing lock: %w", err)
		}
		if truncErr != nil && !l.BestEffortHolder {
			return fmt.Errorf("clearing lock holder: %w", truncErr)
		}
		return nil
	}
	lease := NewFencedLease(release, lost, check)
	if prev != (Holder{}) {
		lease.abandoned = &prev
	}
	return lease, nil
}

// watchPreemption registers a preemptible lease for preemptSignal: the
// first one is the lease's loss; the check fails from then on. For a lease
// that is not preemptible it does nothing.
func (l *File) watchPreemption() (lost <-chan error, check func(context.Context) error, stop func()) {
	if !l.Preemptible {
		return nil, nil, func() {}
	}
	w := &preemptWatch{lost: make(chan error, 1)}
	preemptions.add(w)
	check = func(context.Context) error {
		if w.preempted.Load() {
			return errors.New("the lock file was preempted by a rollback on this machine")
		}
		return nil
	}
	return w.lost, check, func() { preemptions.remove(w) }
}

// preemptWatch is one preemptible lease waiting for preemptSignal.
type preemptWatch struct {
	lost      chan error
	preempted atomic.Bool
}

// preemptions dispatches preemptSignal to the leases held. Once a process
// has held one, the signal stays caught for its lifetime: a rollback's
// signal that arrives just after the lease was released must find nothing
// to stop, not kill the process (the operator's screen).
var preemptions = &preemptDispatch{watches: map[*preemptWatch]bool{}}

type preemptDispatch struct {
	once    sync.Once
	mu      sync.Mutex
	watches map[*preemptWatch]bool
}

func (d *preemptDispatch) add(w *preemptWatch) {
	d.once.Do(func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, preemptSignal)
		go func() {
			for range sig {
				d.preemptAll()
			}
		}()
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watches[w] = true
}

func (d *preemptDispatch) remove(w *preemptWatch) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.watches, w)
}

func (d *preemptDispatch) preemptAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for w := range d.watches {
		if w.preempted.CompareAndSwap(false, true) {
			w.lost <- errors.New("preempted by a rollback on this machine")
		}
	}
}

// open opens the lock file to write its holder; a best-effort holder on a
// read-only state disk opens it read-only (flock needs no write access).
func (l *File) open() (*os.File, error) {
	f, err := os.OpenFile(l.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil && l.BestEffortHolder && errors.Is(err, syscall.EROFS) {
		return os.Open(l.Path)
	}
	return f, err
}

// Preempt asks the holder of the lock, a process on this machine running a
// forward step, to stop: preemptSignal, which a cockpit answers by stopping
// its step (not its screen) at the next safe point and releasing the lock.
func (l *File) Preempt(_ context.Context, busy *BusyError) error {
	pid, err := localHolder(busy.Holder)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, preemptSignal); err != nil {
		return fmt.Errorf("signalling the holder (pid %d): %w", pid, err)
	}
	return nil
}

// localHolder is the holder's pid when it runs on this machine.
func localHolder(h Holder) (int, error) {
	host, _ := os.Hostname()
	switch {
	case h.PID <= 0:
		return 0, errors.New("the lock file names no holder process")
	case h.Host != "" && h.Host != host:
		return 0, fmt.Errorf("the holder runs on %s, not this machine", h.Host)
	}
	return h.PID, nil
}

// Stopped says whether the holder's process is suspended (SIGSTOP, a
// debugger, a suspended laptop's resumed shell job): it holds the lock and
// will not answer. ok is false when this machine cannot tell (no /proc).
func (l *File) Stopped(h Holder) (stopped, ok bool) {
	pid, err := localHolder(h)
	if err != nil {
		return false, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, false
	}
	// The state follows the command name, which is in parentheses and may
	// itself hold ") ".
	i := strings.LastIndex(string(b), ") ")
	if i < 0 || i+2 >= len(b) {
		return false, false
	}
	state := b[i+2]
	return state == 'T' || state == 't', true
}

func (l *File) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func writeHolder(f *os.File, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readHolder reads what the holder wrote; a holder caught between flock and
// its write leaves an empty file, which reads as an unknown holder.
func readHolder(f *os.File) Holder {
	var h Holder
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 64<<10))
	if err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}
