package boundedfile

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/openagents/cockpit/internal/boundedhttp"
)

// NotRegularError is a path that is not a regular file (a named pipe, a
// device, a socket, a directory, or a symlink under NoFollow): never read.
type NotRegularError struct {
	Path string
	Kind string // "a named pipe", "a device", …
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: not read", e.Path, e.Kind)
}

// TooLargeError is a file longer than the cap.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s: not read", e.Path, boundedhttp.FormatBytes(e.Max))
}

// TimeoutError is a read that did not finish within its bound.
type TimeoutError struct {
	Path  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("reading %s did not finish within %s (a hung network file system?): given up", e.Path, e.After)
}

// BlockedError is a path whose earlier read is still stuck past its bound:
// the new read is refused at once instead of stuck behind it.
type BlockedError struct {
	Path  string
	Since time.Time
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("reading %s: an earlier read has been blocked since %s (a hung network file system?): not read again until it returns",
		e.Path, e.Since.UTC().Format("15:04:05"))
}

// KindOf names a file mode's type for an operator: "a named pipe".
func KindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
