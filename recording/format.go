// Package recording is the cockpit's flight recorder: every observing
// process (operate, watch, guard, a scripted check) appends each round it
// observed, as the screen showed it, to <state_dir>/<env>/recording/, so
// that replay can show the screen as it was and report can draw what was
// judged, the morning after.
//
// A recording is a directory of segments. A segment is one gzip stream of
// JSON lines: a header naming the format, then one frame per round. The
// first frame of a segment holds the whole round, every later one only the
// parts that changed (tree.go), so a segment reads on its own and the
// oldest can be deleted. The writer flushes the stream after every frame:
// a process killed mid-write loses at most its last round, and the reader
// keeps everything before a torn tail.
//
// Writing: Open (or Start) a Recorder per observing process and hand it
// each round (Record never blocks; Stopped says when the disk failed);
// a one-shot verb calls RecordOnce. Reading: Read(Dir(state_dir, env),
// Query{From, To, Session}, fn) calls fn with every round in time order,
// Round.State() decodes it as the screen showed it, and what could not be
// read (a torn tail, a segment of another version) comes back as notes.
package recording

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
)

// Format names the segment format this cockpit writes and reads. A segment
// of any other format is refused, named, and skipped: the recording's
// other segments still read.
const Format = "cockpit-recording/v1"

// segmentExt ends every segment's file name.
const segmentExt = ".rec.gz"

// Dir is where an environment's recording lives:
// <state_dir>/<env>/recording, beside its journal.
func Dir(stateDir, env string) string {
	return filepath.Join(stateDir, env, "recording")
}

// Header is a segment's first line: what wrote it, so a reader can refuse
// a format it does not know and tell the processes' rounds apart.
type Header struct {
	Format string `json:"format"`
	Env    string `json:"env"`
	// Process is the verb that observed: operate, watch, guard, check.
	Process string `json:"process"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	// Version is the cockpit's version, so a refused segment says which
	// cockpit can read it.
	Version string `json:"version"`
	// Session is the same in every segment one process wrote.
	Session string `json:"session"`
	// Started is the time of the segment's first round.
	Started time.Time `json:"started"`
}

// frame is one round in a segment.
type frame struct {
	At time.Time `json:"at"`
	// Full is the first frame of a segment: Parts is the whole round.
	Full bool `json:"full,omitempty"`
	// Dropped is how many rounds the recorder dropped since the frame
	// before (its queue was full, or a round could not be encoded).
	Dropped int `json:"dropped,omitempty"`
	// Parts are the parts that changed (all of them when Full).
	Parts map[string]string `json:"parts"`
}

// segmentName names a segment by its first round's time, so names sort in
// time, then by its process and a number (two segments of one process in
// one microsecond never collide).
func segmentName(at time.Time, process string, pid, n int) string {
	return at.UTC().Format("20060102T150405.000000Z") + "-" + process + "-" + strconv.Itoa(pid) + "-" +
		strconv.Itoa(n) + segmentExt
}

// checkHeader refuses a header of another format with what to do about it.
func checkHeader(h Header) error {
	if h.Format == Format {
		return nil
	}
	if h.Format == "" || !strings.HasPrefix(h.Format, "cockpit-recording/") {
		return fmt.Errorf("not a cockpit recording segment (format %q)", safetext.CleanN(h.Format, 64))
	}
	return fmt.Errorf("recorded in format %s by cockpit %s; this cockpit reads %s: read it with that version of cockpit",
		safetext.CleanN(h.Format, 64), safetext.CleanN(h.Version, 64), Format)
}

// decodeHeader reads a header line.
func decodeHeader(line []byte) (Header, error) {
	var h Header
	if err := json.Unmarshal(line, &h); err != nil {
		return Header{}, fmt.Errorf("not a cockpit recording segment (its first line is no header: %s)",
			safetext.CleanN(err.Error(), 120))
	}
	if err := checkHeader(h); err != nil {
		return Header{}, err
	}
	safetext.Strings(&h)
	return h, nil
}

// buildVersion names the cockpit writing a segment when the caller does
// not: its module version, else the commit it was built from.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return "dev " + s.Value
		}
	}
	return "dev"
}
