package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// snapshot is the thirteen values the real harness extracts from one side's
// capture, already rendered as the strings it compares.
type snapshot struct {
	runID                   string
	sessionID               string
	trajectoryHash          string
	receiptEventCount       string
	receiptLastSeq          string
	replayHash              string
	replayRuntimeEventCount string
	summaryStatus           string
	summaryLastSeq          string
	summaryEventCount       string
	summaryProjectionHash   string
	checkpointLastSeq       string
	checkpointLastEventType string
}

type receiptDoc struct {
	SessionID      string `json:"session_id"`
	TrajectoryHash string `json:"trajectory_hash"`
	EventCount     uint64 `json:"event_count"`
	LastSeq        uint64 `json:"last_seq"`
}

type summaryDoc struct {
	Status         string `json:"status"`
	LastSeq        uint64 `json:"last_seq"`
	EventCount     uint64 `json:"event_count"`
	ProjectionHash string `json:"projection_hash"`
}

type checkpointDoc struct {
	LastSeq       uint64 `json:"last_seq"`
	LastEventType string `json:"last_event_type"`
}

// runtimeEventMarkers are what the real harness looks for, line by line, in
// the raw replay: `"type":"RuntimeEvent"` at e5c63cf1, `"event":"RuntimeEvent"`
// in the newest runtime (docs/runtime-facts.md §8). It counts lines
// containing one, not occurrences; the stand-in accepts both so it reads
// either runtime.
var runtimeEventMarkers = []string{`"type":"RuntimeEvent"`, `"event":"RuntimeEvent"`}

// loadSnapshot reads one side's capture in the real harness's order:
// receipt, summary, checkpoint, replay.
func loadSnapshot(manifestPath string) (snapshot, error) {
	m, dir, err := LoadManifest(manifestPath)
	if err != nil {
		return snapshot{}, err
	}
	var receipt receiptDoc
	if err := readJSON(resolve(dir, m.ReceiptPath), &receipt, "", "session_id", "trajectory_hash", "event_count", "last_seq"); err != nil {
		return snapshot{}, err
	}
	var summary summaryDoc
	if err := readJSON(resolve(dir, m.SummaryPath), &summary, "summary", "status", "last_seq", "event_count", "projection_hash"); err != nil {
		return snapshot{}, err
	}
	var checkpoint checkpointDoc
	if err := readJSON(resolve(dir, m.CheckpointPath), &checkpoint, "checkpoint", "last_seq", "last_event_type"); err != nil {
		return snapshot{}, err
	}
	replay, err := os.ReadFile(resolve(dir, m.ReplayPath))
	if err != nil {
		return snapshot{}, ioError(err)
	}
	// The real harness reads the replay with read_to_string, which fails on
	// bytes that are not UTF-8.
	if !utf8.Valid(replay) {
		return snapshot{}, ioError(errors.New("replay: stream did not contain valid UTF-8"))
	}
	sum := sha256.Sum256(replay)
	return snapshot{
		runID:                   m.RunID,
		sessionID:               receipt.SessionID,
		trajectoryHash:          receipt.TrajectoryHash,
		receiptEventCount:       strconv.FormatUint(receipt.EventCount, 10),
		receiptLastSeq:          strconv.FormatUint(receipt.LastSeq, 10),
		replayHash:              "sha256:" + hex.EncodeToString(sum[:]),
		replayRuntimeEventCount: strconv.Itoa(countRuntimeEventLines(string(replay))),
		summaryStatus:           summary.Status,
		summaryLastSeq:          strconv.FormatUint(summary.LastSeq, 10),
		summaryEventCount:       strconv.FormatUint(summary.EventCount, 10),
		summaryProjectionHash:   summary.ProjectionHash,
		checkpointLastSeq:       strconv.FormatUint(checkpoint.LastSeq, 10),
		checkpointLastEventType: checkpoint.LastEventType,
	}, nil
}

// readJSON decodes a capture file into v. When envelope is set, the fields
// live under that key, as in the GET bodies {"summary":{…}} and
// {"checkpoint":{…}}; the envelope itself is required too.
func readJSON(path string, v any, envelope string, required ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return ioError(err)
	}
	if envelope != "" {
		var outer map[string]json.RawMessage
		if err := decodeRequired(data, &outer, envelope); err != nil {
			return parseError(path, err)
		}
		data = outer[envelope]
	}
	if err := decodeRequired(data, v, required...); err != nil {
		return parseError(path, err)
	}
	return nil
}

// countRuntimeEventLines counts replay lines naming a RuntimeEvent, the
// way the real harness does (str::lines, then contains).
func countRuntimeEventLines(replay string) int {
	n := 0
	for line := range strings.Lines(replay) {
		if slices.ContainsFunc(runtimeEventMarkers, func(m string) bool { return strings.Contains(line, m) }) {
			n++
		}
	}
	return n
}
