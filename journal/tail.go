package journal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Tail reads a journal incrementally: each Next parses only the lines
// appended since the last call, so a reader polling a growing journal pays
// for what is new, never for the whole history. A last line not yet ended
// by a newline is held back until it is (the writer may be mid-line); a
// line that does not decode is skipped and reported, never fatal. A file
// that shrank or was replaced is read again from its start. Safe for
// concurrent use.
type Tail struct {
	path string

	mu      sync.Mutex
	offset  int64
	line    int // complete lines consumed so far
	partial []byte
	file    os.FileInfo // the file read last, to notice a replacement
	br      *bufio.Reader
}

// NewTail prepares to read the journal at path from its start.
func NewTail(path string) *Tail { return &Tail{path: path} }

// Path is the journal this tail reads.
func (t *Tail) Path() string { return t.path }

// maxLine bounds one journal line (as Read does): a longer one is corrupt,
// and holding it whole would let one bad writer grow the reader without end.
const maxLine = 16 << 20

// Next returns the records appended since the last call, in file order.
// restart is true when the file shrank, was replaced or disappeared: the
// caller must drop what it built from earlier records (recs then starts
// from the top of the current file). err is a *CorruptError naming the
// lines skipped in this read, or a read problem; recs are still good.
func (t *Tail) Next() (recs []Record, restart bool, err error) {
	restart, err = t.Each(func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, restart, err
}

// Each is Next handing the records to fn one at a time instead of
// gathering them: a reader that keeps only what it prints (the timeline)
// holds one line of a journal of any length. An error from fn ends the
// read there and is returned (the next call goes on after that record).
// fn runs under the tail's lock and must not call it.
func (t *Tail) Each(fn func(Record) error) (restart bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// One stat answers the common case, nothing new, without opening.
	if st, err := os.Stat(t.path); err == nil && t.file != nil && os.SameFile(t.file, st) && st.Size() == t.offset {
		return false, nil
	}
	f, err := os.Open(t.path)
	if errors.Is(err, os.ErrNotExist) {
		restart = t.file != nil
		t.reset()
		return restart, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening journal: %w", err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("reading journal: %w", err)
	}
	if t.file != nil && (!os.SameFile(t.file, st) || st.Size() < t.offset) {
		restart = true
		t.reset()
	}
	t.file = st
	if st.Size() == t.offset {
		return restart, nil
	}
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return restart, fmt.Errorf("reading journal: %w", err)
	}
	return restart, t.lines(io.LimitReader(f, st.Size()-t.offset), fn)
}

// lines decodes the complete lines of r, from the tail's offset on, into
// fn; a last line not yet ended is held back in partial.
func (t *Tail) lines(r io.Reader, fn func(Record) error) (err error) {
	var bad []int
	if t.br == nil {
		t.br = bufio.NewReaderSize(nil, 64<<10)
	}
	br := t.br
	br.Reset(r)
	defer br.Reset(nil) // drop the file, keep the buffer
	for {
		chunk, rerr := br.ReadSlice('\n')
		t.offset += int64(len(chunk))
		if rerr == bufio.ErrBufferFull {
			t.partial = appendBounded(t.partial, chunk)
			continue
		}
		if rerr != nil { // EOF: a line not ended yet
			t.partial = appendBounded(t.partial, chunk)
			if rerr != io.EOF {
				err = fmt.Errorf("reading journal: %w", rerr)
			}
			break
		}
		line := chunk
		if len(t.partial) > 0 {
			line = appendBounded(t.partial, chunk)
			t.partial = nil
		}
		t.line++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		r, ok := Decode(line)
		if len(line) > maxLine || !ok {
			bad = append(bad, t.line)
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if len(bad) > 0 && err == nil {
		err = &CorruptError{Path: t.path, Lines: bad}
	}
	return err
}

// Pending is how many bytes of an unfinished last line are held back: a
// writer mid-line, or a process killed mid-write (the next Open ends that
// line, and the next read then reports it as corrupt).
func (t *Tail) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.partial)
}

// appendBounded keeps at most maxLine+1 bytes of a line: enough to know it
// is too long.
func appendBounded(dst, b []byte) []byte {
	if room := maxLine + 1 - len(dst); room < len(b) {
		b = b[:max(room, 0)]
	}
	return append(dst, b...)
}

func (t *Tail) reset() {
	t.offset, t.line, t.partial, t.file = 0, 0, nil, nil
}
