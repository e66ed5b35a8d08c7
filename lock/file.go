package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
}

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
	if err := writeHolder(f, holder); err != nil && !l.BestEffortHolder {
		_ = f.Close()
		return nil, fmt.Errorf("writing lock holder: %w", err)
	}
	release := func() error {
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
	return NewLease(release, nil), nil
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
// forward step, to stop: SIGTERM, which a cockpit answers by stopping its
// step at the next safe point and releasing the lock.
func (l *File) Preempt(_ context.Context, busy *BusyError) error {
	h := busy.Holder
	host, _ := os.Hostname()
	switch {
	case h.PID <= 0:
		return errors.New("the lock file names no holder process to stop")
	case h.Host != "" && h.Host != host:
		return fmt.Errorf("the holder runs on %s, not this machine", h.Host)
	}
	if err := syscall.Kill(h.PID, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signalling the holder (pid %d): %w", h.PID, err)
	}
	return nil
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
