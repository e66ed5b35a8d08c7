package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// WriteError is the journal's file refusing a record (or refusing to
// open): it names the file, the errno and the operator's fix, e.g.
// "journal /x/journal.jsonl: no space left on device: free space or set
// state_dir".
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("journal %s: %s: %s", e.Path, errnoText(e.Err), fixFor(e.Err))
}

func (e *WriteError) Unwrap() error { return e.Err }

// errnoText is the OS's own words for err without the path (WriteError
// names it once).
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// fixFor is what the operator can do about err.
func fixFor(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "free space or set state_dir"
	case errors.Is(err, syscall.EROFS):
		return "the state disk is read-only: remount it read-write or set state_dir"
	case errors.Is(err, fs.ErrPermission):
		return "give the operator write access or set state_dir"
	}
	return "check the state disk or set state_dir"
}

// lineFile is an append-only file of whole lines that knows when it may
// end mid-line (a killed writer, a short write on a full disk) and then
// starts the next line with a newline: no record is ever glued onto a
// fragment and lost with it.
type lineFile struct {
	f    *os.File
	torn bool
}

// write appends line and a newline in one write call (with O_APPEND the line
// lands whole even if another process appends to the same file) and fsyncs.
func (l *lineFile) write(line []byte) error {
	buf := make([]byte, 0, len(line)+2)
	if l.torn {
		buf = append(buf, '\n')
	}
	buf = append(append(buf, line...), '\n')
	n, err := l.f.Write(buf)
	if n > 0 {
		l.torn = n < len(buf)
	}
	if err != nil {
		return err
	}
	return l.f.Sync()
}

// closeTornLine ends a torn last line now, when the disk lets it; when it
// does not, torn stays set and the next write carries the newline.
func (l *lineFile) closeTornLine() {
	if n, err := l.f.Write([]byte("\n")); n == 1 && err == nil && l.f.Sync() == nil {
		l.torn = false
	}
}
