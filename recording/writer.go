package recording

import (
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openagents/cockpit/runbook"
)

// Defaults of Options.
const (
	// DefaultMaxBytes bounds a recording when the config says nothing:
	// at the ~1 MB an hour a rehearsal round costs, weeks of rounds.
	DefaultMaxBytes = 200 << 20
	// DefaultSegmentEvery is how long a segment covers: the unit in which
	// the oldest rounds are dropped.
	DefaultSegmentEvery = 10 * time.Minute
	// queueRounds is how many rounds may wait for the writer: past it a
	// round is dropped (and counted), never waited for.
	queueRounds = 16
	// closeWait bounds how long Close waits for the disk.
	closeWait = 2 * time.Second
	// minSegmentBytes is the smallest segment the size bound cuts.
	minSegmentBytes = 64 << 10
)

// Options say where and as what a Recorder records.
type Options struct {
	Dir string // Dir(state_dir, env)
	Env string
	// Process is the observing verb: operate, watch, guard, check.
	Process string
	Version string // the cockpit's version; its build's when empty
	// MaxBytes bounds the whole directory: past it the oldest segments,
	// whoever wrote them, are deleted. DefaultMaxBytes when 0.
	MaxBytes int64
	// SegmentEvery starts a new segment after this much round time;
	// DefaultSegmentEvery when 0. A segment also ends at MaxBytes/8.
	SegmentEvery time.Duration
	Logger       *slog.Logger
	// OnStop is called once, from the writer, when recording stops for
	// good (the disk failed): operate journals it.
	OnStop func(why string)
	// create opens a new segment file; tests inject a failing disk.
	create func(path string) (io.WriteCloser, error)
	// closeWait bounds Close; closeWait (the constant) when 0. A test
	// that asserts the queue drains, not the bound, gives it room.
	closeWait time.Duration
}

// Recorder appends rounds to a recording from a goroutine of its own:
// Record never waits for the disk. It is safe for concurrent use.
type Recorder struct {
	o       Options
	queue   chan runbook.State
	done    chan struct{}
	mu      sync.Mutex // guards closed and the queue's close
	closed  bool
	dropped atomic.Int64 // rounds dropped before the writer took them
	stopped atomic.Pointer[string]

	host    string
	pid     int
	session string // the header's Session, set by the first segment
	seg     *segment
	n       int  // segments this recorder opened
	prev    tree // the round before, as written to seg
	lost    int  // rounds lost since the last frame (queue full, not encodable)
	// lastErr is the last encoding error logged, so a state that never
	// encodes is one line, not one a second.
	lastErr string
}

// Start creates the directory and starts the writer. Nothing is written
// until the first round.
func Start(o Options) (*Recorder, error) {
	o.MaxBytes = cmp.Or(o.MaxBytes, DefaultMaxBytes)
	o.SegmentEvery = cmp.Or(o.SegmentEvery, DefaultSegmentEvery)
	o.Version = cmp.Or(o.Version, buildVersion())
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.create == nil {
		o.create = createFile
	}
	o.closeWait = cmp.Or(o.closeWait, closeWait)
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	host, _ := os.Hostname()
	r := &Recorder{o: o, queue: make(chan runbook.State, queueRounds), done: make(chan struct{}), host: host, pid: os.Getpid()}
	go r.run()
	return r, nil
}

func createFile(path string) (io.WriteCloser, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// Record hands a round to the writer. It never blocks: with the queue full,
// or once recording stopped, the round is dropped (and the next frame
// says how many were).
func (r *Recorder) Record(st runbook.State) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.stopped.Load() != nil {
		return
	}
	select {
	case r.queue <- st:
	default:
		if r.dropped.Add(1) == 1 {
			r.o.Logger.Warn("the recorder is behind: dropping rounds")
		}
	}
}

// Stopped is "recording stopped: <why>" once recording stopped for good,
// "" while it records: the screen shows it.
func (r *Recorder) Stopped() string {
	if r == nil {
		return ""
	}
	if why := r.stopped.Load(); why != nil {
		return "recording stopped: " + *why
	}
	return ""
}

// Close writes what is queued, ends the segment and stops the writer. It
// waits at most closeWait: a process never hangs at its exit on a disk
// that hangs (the rounds still queued are then lost, and it says so).
func (r *Recorder) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	select {
	case <-r.done:
	case <-time.After(r.o.closeWait):
		return fmt.Errorf("recording: the disk took more than %s to take the last rounds: they are lost", r.o.closeWait)
	}
	if r.seg == nil {
		return nil
	}
	err := r.seg.close()
	r.seg = nil
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

func (r *Recorder) run() {
	defer close(r.done)
	for st := range r.queue {
		if r.stopped.Load() != nil {
			continue
		}
		r.lost += int(r.dropped.Swap(0))
		if err := r.write(st); err != nil {
			r.stop(err)
		}
	}
}

// stop ends recording for good: a disk that failed once is not written
// again by this process (the next segment would be torn the same way).
func (r *Recorder) stop(err error) {
	why := err.Error()
	r.stopped.Store(&why)
	if r.seg != nil {
		_ = r.seg.abandon()
		r.seg = nil
	}
	r.o.Logger.Error("recording stopped", "err", err)
	if r.o.OnStop != nil {
		r.o.OnStop(why)
	}
}

// write records one round: a full frame in a new segment when one is due,
// else the parts that changed.
func (r *Recorder) write(st runbook.State) error {
	doc, err := runbook.MarshalState(st)
	var parts tree
	if err == nil {
		parts, err = cut(doc)
	}
	if err != nil {
		r.lost++
		if msg := err.Error(); msg != r.lastErr {
			r.lastErr = msg
			r.o.Logger.Warn("a round was not recorded", "err", err)
		}
		return nil
	}
	if r.seg == nil || r.seg.due(st.At, r.o.SegmentEvery, r.segmentBytes()) {
		if err := r.rotate(st.At); err != nil {
			return err
		}
	}
	f := frame{At: st.At, Dropped: r.lost, Full: r.prev == nil, Parts: parts}
	if r.prev != nil {
		f.Parts = changed(r.prev, parts)
	}
	if err := r.seg.line(f); err != nil {
		return err
	}
	r.prev, r.lost = parts, 0
	return nil
}

// segmentBytes is where the size bound cuts a segment: an eighth of the
// whole, so deleting the oldest frees room without emptying the recording.
func (r *Recorder) segmentBytes() int64 {
	return max(r.o.MaxBytes/8, minSegmentBytes)
}

// rotate ends the open segment, opens the next, then deletes the oldest
// segments past MaxBytes.
func (r *Recorder) rotate(at time.Time) error {
	if r.seg != nil {
		err := r.seg.close()
		r.seg = nil
		if err != nil {
			return err
		}
	}
	if at.IsZero() {
		at = time.Now()
	}
	r.n++
	name := segmentName(at, r.o.Process, r.pid, r.n)
	if r.session == "" {
		r.session = fmt.Sprintf("%s-%d-%d", r.host, r.pid, at.UnixNano())
	}
	h := Header{Format: Format, Env: r.o.Env, Process: r.o.Process, Host: r.host, PID: r.pid, Version: r.o.Version,
		Session: r.session, Started: at}
	seg, err := openSegment(r.o.create, filepath.Join(r.o.Dir, name), h)
	if err != nil {
		return err
	}
	r.seg, r.prev = seg, nil
	prune(r.o.Dir, r.o.MaxBytes, name, r.o.Logger)
	return nil
}

// segment is the open segment file.
type segment struct {
	path    string
	file    io.WriteCloser
	count   *countingWriter
	gz      *gzip.Writer
	started time.Time
}

func openSegment(create func(string) (io.WriteCloser, error), path string, h Header) (*segment, error) {
	f, err := create(path)
	if err != nil {
		return nil, fmt.Errorf("opening segment: %w", err)
	}
	cw := &countingWriter{w: f}
	gz, err := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s := &segment{path: path, file: f, count: cw, gz: gz, started: h.Started}
	if err := s.line(h); err != nil {
		_ = s.abandon()
		return nil, err
	}
	return s, nil
}

// due is whether the segment has covered every or grown past bytes.
func (s *segment) due(at time.Time, every time.Duration, bytes int64) bool {
	return at.Sub(s.started) >= every || s.count.n >= bytes
}

// line writes v as one JSON line and flushes the stream to the file.
func (s *segment) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding a frame: %w", err)
	}
	b = append(b, '\n')
	if _, err := s.gz.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", s.path, err)
	}
	if err := s.gz.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", s.path, err)
	}
	return nil
}

// close ends the gzip stream (its checksum) and the file.
func (s *segment) close() error {
	err := s.gz.Close()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing %s: %w", s.path, err)
	}
	return nil
}

// abandon closes the file as it is: its frames so far stay readable.
func (s *segment) abandon() error { return s.file.Close() }

// countingWriter counts what reached the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
