package recording

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/runbook"
)

// Round is one recorded round.
type Round struct {
	At time.Time
	// Header is its segment's: which process observed it, on which host,
	// in which session.
	Header Header
	// Dropped is how many rounds the recorder dropped just before this
	// one: a gap in the recording, not in the observing.
	Dropped int
	doc     []byte
}

// JSON is the round as the shared feed's wire form carries it
// (runbook.EncodeState).
func (r Round) JSON() []byte { return r.doc }

// State decodes the round as the screen showed it. It is outside data
// (the recording is a file anyone with the state directory can edit):
// runbook.DecodeState bounds and cleans it.
func (r Round) State() (runbook.State, error) {
	st, err := runbook.DecodeState(r.doc)
	if err != nil {
		return runbook.State{}, fmt.Errorf("the round at %s (%s, pid %d): %w",
			r.At.UTC().Format(time.RFC3339), r.Header.Process, r.Header.PID, err)
	}
	return st, nil
}

// Query selects rounds: From and To bound their times (zero: open);
// Session, when set, keeps one process's rounds.
type Query struct {
	From, To time.Time
	Session  string
}

func (q Query) before(at time.Time) bool { return !q.From.IsZero() && at.Before(q.From) }
func (q Query) after(at time.Time) bool  { return !q.To.IsZero() && at.After(q.To) }

// ErrStop, returned by Read's fn, ends the read early without an error.
var ErrStop = errors.New("stop reading")

// Read calls fn with every round in q, in time order across the
// processes that recorded (each process's rounds in its own order). What
// it could not read (a segment of another format, a torn tail, a corrupt
// frame) does not fail the read: it is returned as notes, one line each,
// for the caller to show beside what was read.
func Read(dir string, q Query, fn func(Round) error) ([]string, error) {
	segs, notes, err := List(dir)
	if err != nil {
		return notes, err
	}
	var streams []*sessionStream
	for _, s := range sessions(segs, q) {
		st := &sessionStream{segs: s, q: q}
		defer st.close()
		if st.advance() {
			streams = append(streams, st)
			continue
		}
		notes = append(notes, st.notes...)
	}
	for len(streams) > 0 {
		i := earliest(streams)
		err := fn(streams[i].round)
		if errors.Is(err, ErrStop) {
			break
		}
		if err != nil {
			return append(notes, collect(streams)...), err
		}
		if !streams[i].advance() {
			notes = append(notes, streams[i].notes...)
			streams = append(streams[:i], streams[i+1:]...)
		}
	}
	return append(notes, collect(streams)...), nil
}

func earliest(streams []*sessionStream) int {
	best := 0
	for i, s := range streams {
		if s.round.At.Before(streams[best].round.At) {
			best = i
		}
	}
	return best
}

func collect(streams []*sessionStream) []string {
	var notes []string
	for _, s := range streams {
		notes = append(notes, s.notes...)
	}
	return notes
}

// sessions groups segments by session, in time order, leaving out the
// sessions q does not ask for and segments that end before q.From (the
// next segment of their session starts before it).
func sessions(segs []Segment, q Query) [][]Segment {
	var order []string
	by := map[string][]Segment{}
	for _, s := range segs {
		id := s.Header.Session
		if q.Session != "" && id != q.Session {
			continue
		}
		if _, ok := by[id]; !ok {
			order = append(order, id)
		}
		by[id] = append(by[id], s)
	}
	out := make([][]Segment, 0, len(order))
	for _, id := range order {
		ss := by[id]
		for len(ss) > 1 && q.before(ss[1].Header.Started) {
			ss = ss[1:]
		}
		out = append(out, ss)
	}
	return out
}

// sessionStream reads one session's segments in turn, one round ahead.
type sessionStream struct {
	segs  []Segment
	q     Query
	cur   *segmentReader
	parts tree
	round Round
	notes []string
	done  bool
}

// advance moves to the next round in q; false when there is none.
func (s *sessionStream) advance() bool {
	for !s.done {
		if s.cur == nil && !s.open() {
			continue
		}
		f, ok := s.cur.next()
		if !ok {
			s.endSegment()
			continue
		}
		if r, ok := s.apply(f); ok {
			s.round = r
			return true
		}
	}
	return false
}

// open opens the next segment; false when it could not be (noted) or
// none is left (done).
func (s *sessionStream) open() bool {
	if len(s.segs) == 0 {
		s.done = true
		return false
	}
	seg := s.segs[0]
	s.segs = s.segs[1:]
	r, err := openSegmentReader(seg.Path)
	if err != nil {
		s.notes = append(s.notes, err.Error()+": skipped")
		return false
	}
	s.cur, s.parts = r, nil
	return true
}

func (s *sessionStream) endSegment() {
	if s.cur.end != "" {
		s.notes = append(s.notes, s.cur.end)
	}
	_ = s.cur.close()
	s.cur = nil
}

// apply folds a frame into the session's parts and returns its round
// when q asks for it. A frame past q.To ends the stream.
func (s *sessionStream) apply(f frame) (Round, bool) {
	if f.Full {
		s.parts = tree{}
	}
	if s.parts == nil {
		s.cur.end = fmt.Sprintf("segment %s: its first round holds only changes: skipped", filepath.Base(s.cur.path))
		s.endSegment()
		return Round{}, false
	}
	for p, v := range f.Parts {
		s.parts[p] = v
	}
	switch {
	case s.q.after(f.At):
		s.done = true
		return Round{}, false
	case s.q.before(f.At):
		return Round{}, false
	}
	doc, err := s.parts.build()
	if err != nil {
		s.notes = append(s.notes, fmt.Sprintf("the round at %s: %s: left out", f.At.UTC().Format(time.RFC3339), cleanErr(err)))
		return Round{}, false
	}
	return Round{At: f.At, Header: s.cur.header, Dropped: f.Dropped, doc: doc}, true
}

func (s *sessionStream) close() {
	if s.cur != nil {
		_ = s.cur.close()
	}
}

func cleanErr(err error) string { return safetext.CleanN(err.Error(), 160) }
