// Package boundedfile bounds what the cockpit reads from files it does not
// own (parity reports, token and secret files, the files R4 collects), as
// internal/boundedhttp bounds what it reads from the network: every read is
// capped in size and in time, and only a regular file is read at all. A
// named pipe with no writer, a device, or a hung network file system costs
// a caller an error naming the file, never a verb or a rollback.
//
// A read the kernel does not return from cannot be cancelled: it runs in a
// goroutine the caller stops waiting for at its deadline. While one is
// still stuck past its timeout, later reads of the same path are refused at
// once rather than left to pile up behind it.
package boundedfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// DefaultMaxBytes is the cap when none is given: a parity report with
// thousands of diffs is far smaller.
const DefaultMaxBytes = 16 << 20

// DefaultTimeout bounds one read when no timeout is given and the caller's
// context has no earlier deadline: a local disk answers in milliseconds.
const DefaultTimeout = 10 * time.Second

// Options shape a read.
type Options struct {
	MaxBytes int64         // DefaultMaxBytes when ≤ 0
	Timeout  time.Duration // DefaultTimeout when ≤ 0; the context may end it sooner
	// NoFollow refuses a symlink (R4 copies what is there, never what a
	// link planted next to the reports points at).
	NoFollow bool
}

func (o Options) max() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// Read returns the bytes of the regular file at path and what Fstat said
// of the file it read.
func Read(ctx context.Context, path string, o Options) ([]byte, fs.FileInfo, error) {
	type result struct {
		b  []byte
		fi fs.FileInfo
	}
	r, err := bounded(ctx, path, o.timeout(), func() (result, error) {
		f, fi, err := open(path, o)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, o.max()+1))
		if err != nil {
			return result{}, err
		}
		if int64(len(b)) > o.max() {
			return result{}, &TooLargeError{Path: path, Max: o.max()}
		}
		return result{b, fi}, nil
	}, nil)
	return r.b, r.fi, err
}

// Open opens the regular file at path for reading, within the time bound;
// what is read from it afterwards is the caller's to bound.
func Open(ctx context.Context, path string, o Options) (*os.File, fs.FileInfo, error) {
	type result struct {
		f  *os.File
		fi fs.FileInfo
	}
	r, err := bounded(ctx, path, o.timeout(), func() (result, error) {
		f, fi, err := open(path, o)
		return result{f, fi}, err
	}, func(r result) { _ = r.f.Close() })
	return r.f, r.fi, err
}

// Stat is os.Stat (os.Lstat with NoFollow) within the time bound.
func Stat(ctx context.Context, path string, o Options) (fs.FileInfo, error) {
	return bounded(ctx, path, o.timeout(), func() (fs.FileInfo, error) { return stat(path, o) }, nil)
}

// Glob is filepath.Glob within the time bound (a directory listing on a
// hung file system blocks as a read does).
func Glob(ctx context.Context, pattern string, o Options) ([]string, error) {
	return bounded(ctx, pattern, o.timeout(), func() ([]string, error) { return filepath.Glob(pattern) }, nil)
}

func stat(path string, o Options) (fs.FileInfo, error) {
	if o.NoFollow {
		return os.Lstat(path)
	}
	return os.Stat(path)
}

// open refuses anything but a regular file: stat first (opening a device
// can act on it), then open without blocking (a FIFO swapped in between
// would block a plain open until a writer came) and check with Fstat that
// the opened file is the regular file stat saw.
func open(path string, o Options) (*os.File, fs.FileInfo, error) {
	before, err := stat(path, o)
	if err != nil {
		return nil, nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, before, &NotRegularError{Path: path, Kind: KindOf(before.Mode())}
	}
	if before.Size() > o.max() {
		return nil, before, &TooLargeError{Path: path, Max: o.max()}
	}
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if o.NoFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return nil, before, err
	}
	opened, err := f.Stat()
	switch {
	case err != nil:
		_ = f.Close()
		return nil, before, err
	case !opened.Mode().IsRegular():
		_ = f.Close()
		return nil, opened, &NotRegularError{Path: path, Kind: KindOf(opened.Mode())}
	case !os.SameFile(before, opened):
		_ = f.Close()
		return nil, opened, fmt.Errorf("%s changed while being opened: not read", path)
	}
	return f, opened, nil
}

// inflight holds, per path, when the oldest read still running began.
var inflight sync.Map

// bounded runs fn in a goroutine and waits for it until the context ends or
// timeout passes, whichever is first. A result that comes after the caller
// stopped waiting is handed to drop (nil: nothing to release).
func bounded[T any](ctx context.Context, path string, timeout time.Duration, fn func() (T, error), drop func(T)) (T, error) {
	var zero T
	start := time.Now()
	if v, busy := inflight.LoadOrStore(path, start); busy {
		if since := v.(time.Time); start.Sub(since) > timeout {
			return zero, &BlockedError{Path: path, Since: since}
		}
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		inflight.CompareAndDelete(path, start)
		done <- result{v, err}
	}()
	abandon := func() {
		if drop != nil {
			go func() {
				if r := <-done; r.err == nil {
					drop(r.v)
				}
			}()
		}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			abandon()
			return zero, fmt.Errorf("reading %s: %w", path, context.Cause(ctx))
		}
	}
	abandon()
	return zero, &TimeoutError{Path: path, After: time.Since(start).Round(time.Millisecond)}
}
