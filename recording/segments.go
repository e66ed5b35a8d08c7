package recording

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Segment is one segment file of a recording.
type Segment struct {
	Path   string
	Size   int64
	Header Header
}

// file is a segment file as the directory lists it.
type file struct {
	name string
	size int64
}

// listFiles is dir's segment files, oldest first (names sort in time).
func listFiles(dir string) ([]file, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []file
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), segmentExt) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // deleted since the listing: pruned by another process
		}
		out = append(out, file{name: e.Name(), size: info.Size()})
	}
	slices.SortFunc(out, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// prune deletes the oldest segments, whoever wrote them, while the
// directory holds more than maxBytes; keep (the segment just opened) stays.
func prune(dir string, maxBytes int64, keep string, logger *slog.Logger) {
	files, err := listFiles(dir)
	if err != nil {
		logger.Warn("listing the recording to bound it", "err", err)
		return
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	for _, f := range files {
		if total <= maxBytes {
			return
		}
		if f.name == keep {
			continue
		}
		if err := os.Remove(filepath.Join(dir, f.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			logger.Warn("deleting the oldest recording segment", "segment", f.name, "err", err)
			continue
		}
		total -= f.size
	}
}

// maxLine bounds one line of a segment: a full frame of the largest
// round the feed carries (runbook.MaxWireBytes), cut into parts and
// escaped, is well below it; a longer line is a corrupt segment, not
// memory to give.
const maxLine = 8 << 20

// segmentReader reads one segment's frames.
type segmentReader struct {
	path   string
	file   *os.File
	gz     *gzip.Reader
	br     *bufio.Reader
	header Header
	frames int
	// end says why the segment ended early ("" at a clean end).
	end string
}

// openSegmentReader opens a segment and reads its header; a segment of
// another format is an error that names it.
func openSegmentReader(path string) (*segmentReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &segmentReader{path: path, file: f}
	if s.gz, err = gzip.NewReader(f); err != nil {
		_ = f.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("segment %s holds no round (its process stopped before writing one)", filepath.Base(path))
		}
		return nil, fmt.Errorf("segment %s: not a cockpit recording segment (%v)", filepath.Base(path), err)
	}
	s.br = bufio.NewReaderSize(s.gz, 64<<10)
	line, err := s.line()
	if err == nil {
		s.header, err = decodeHeader(line)
	}
	if err != nil {
		_ = s.close()
		return nil, fmt.Errorf("segment %s: %w", filepath.Base(path), err)
	}
	return s, nil
}

// line reads one line; a line cut off by the end of the data (a torn
// tail) is an error, never a frame.
func (s *segmentReader) line() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := s.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull) && len(buf) <= maxLine:
			continue
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		case errors.Is(err, io.EOF) && len(buf) == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// next is the segment's next frame; false at its end, with end saying
// why when it is not a clean one. A header met on the way starts a new
// member (RecordOnce's rounds, one gzip member each): it is the header
// of the rounds after it.
func (s *segmentReader) next() (frame, bool) {
	for {
		f, header, err := s.decode()
		switch {
		case err == nil && header:
			continue
		case err == nil:
			s.frames++
			return f, true
		}
		s.ended(err)
		return frame{}, false
	}
}

// decode reads one line: a frame, or a header (true) it takes in.
func (s *segmentReader) decode() (frame, bool, error) {
	line, err := s.line()
	if err != nil {
		return frame{}, false, err
	}
	var l struct {
		Format string `json:"format"`
		frame
	}
	if err := json.Unmarshal(line, &l); err != nil {
		return frame{}, false, err
	}
	if l.Format == "" {
		return l.frame, false, nil
	}
	h, err := decodeHeader(line)
	if err != nil {
		return frame{}, false, err
	}
	s.header = h
	return frame{}, true, nil
}

// ended notes why the segment ended, when it is not a clean end.
func (s *segmentReader) ended(err error) {
	switch {
	case errors.Is(err, io.EOF):
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.end = fmt.Sprintf("segment %s ends after %d round(s) without its end mark: still being written, or its process stopped mid-write (a torn tail: at most its last round is lost)",
			filepath.Base(s.path), s.frames)
	default:
		s.end = fmt.Sprintf("segment %s: unreadable after %d round(s) (%s): the rest of it is skipped",
			filepath.Base(s.path), s.frames, cleanErr(err))
	}
}

func (s *segmentReader) close() error {
	if s.gz != nil {
		_ = s.gz.Close()
	}
	return s.file.Close()
}

// List is the recording's segments, oldest first, and a note for each
// one that cannot be read (another format, not a segment). A directory
// that does not exist is an empty recording.
func List(dir string) ([]Segment, []string, error) {
	files, err := listFiles(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the recording: %w", err)
	}
	var segs []Segment
	var notes []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		s, err := openSegmentReader(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // pruned since the listing
		}
		if err != nil {
			notes = append(notes, err.Error()+": skipped")
			continue
		}
		segs = append(segs, Segment{Path: path, Size: f.size, Header: s.header})
		_ = s.close()
	}
	return segs, notes, nil
}
