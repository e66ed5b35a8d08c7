package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Perturbation is how Mirror makes the simulated legacy capture differ from
// the Rust one. Two independently executed runs always differ in their ids
// and trajectory hashes, so the simulation copies the Rust run and changes
// only what a scenario asks for.
type Perturbation int

const (
	// NoPerturbation copies the capture byte for byte: the gate allows.
	NoPerturbation Perturbation = iota
	// CriticalDiff makes legacy's projector one event behind: summary and
	// checkpoint last_seq differ, two critical diffs, the gate blocks.
	CriticalDiff
	// WarningDiff makes legacy's replay differ in its trailing newline, as
	// another serializer would: one replay_hash warning, which the cutover
	// policy (max_warnings=0) blocks on.
	WarningDiff
)

func (p Perturbation) String() string {
	switch p {
	case NoPerturbation:
		return "none"
	case CriticalDiff:
		return "critical-diff"
	case WarningDiff:
		return "warning-diff"
	default:
		return fmt.Sprintf("Perturbation(%d)", int(p))
	}
}

// Mirror writes the simulated legacy side of the run captured at
// rustManifestPath into dir, perturbed as asked, and returns its manifest.
// dir must not be the Rust capture's directory, whose files it would
// overwrite.
func Mirror(rustManifestPath, dir string, perturb Perturbation) (string, error) {
	m, srcDir, err := LoadManifest(rustManifestPath)
	if err != nil {
		return "", fmt.Errorf("mirroring %s: %w", rustManifestPath, err)
	}
	if sameDir(srcDir, dir) {
		return "", fmt.Errorf("mirroring %s: legacy dir %s is the rust capture's own directory", rustManifestPath, dir)
	}
	files := []struct{ name, src string }{
		{receiptFile, m.ReceiptPath},
		{replayFile, m.ReplayPath},
		{summaryFile, m.SummaryPath},
		{checkpointFile, m.CheckpointPath},
	}
	data := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(resolve(srcDir, f.src))
		if err != nil {
			return "", fmt.Errorf("mirroring %s: %w", rustManifestPath, ioError(err))
		}
		data[f.name] = b
	}
	if err := perturbCapture(data, perturb); err != nil {
		return "", fmt.Errorf("mirroring %s with %s: %w", rustManifestPath, perturb, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("mirroring %s: %w", rustManifestPath, ioError(err))
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), data[f.name]); err != nil {
			return "", fmt.Errorf("mirroring %s: %w", rustManifestPath, err)
		}
	}
	return writeManifest(dir, captureManifest(m.RunID))
}

// perturbCapture edits the copied files in place, keyed by capture file name.
func perturbCapture(data map[string][]byte, p Perturbation) error {
	switch p {
	case NoPerturbation:
		return nil
	case CriticalDiff:
		var err error
		if data[summaryFile], err = lagLastSeq(data[summaryFile], "summary"); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
		if data[checkpointFile], err = lagLastSeq(data[checkpointFile], "checkpoint"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	case WarningDiff:
		data[replayFile] = toggleTrailingNewline(data[replayFile])
		return nil
	default:
		return errors.New("unknown perturbation")
	}
}

// lagLastSeq moves envelope.last_seq one event back (or forward from 0),
// leaving every other value untouched.
func lagLastSeq(body []byte, envelope string) ([]byte, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return nil, err
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(outer[envelope], &inner); err != nil {
		return nil, fmt.Errorf("%s: %w", envelope, err)
	}
	seq, err := strconv.ParseUint(string(inner["last_seq"]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s.last_seq: %w", envelope, err)
	}
	if seq > 0 {
		seq--
	} else {
		seq++
	}
	inner["last_seq"] = json.RawMessage(strconv.FormatUint(seq, 10))
	if outer[envelope], err = json.Marshal(inner); err != nil {
		return nil, err
	}
	return json.Marshal(outer)
}

// toggleTrailingNewline changes the replay's bytes, and so its hash, without
// changing which lines name a RuntimeEvent.
func toggleTrailingNewline(replay []byte) []byte {
	if trimmed, ok := bytes.CutSuffix(replay, []byte("\n")); ok {
		return trimmed
	}
	return append(replay, '\n')
}

// sameDir reports whether two paths name the same directory.
func sameDir(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
