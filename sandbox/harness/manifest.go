package harness

import (
	"fmt"
	"os"
	"path/filepath"
)

// Manifest names one side's capture of a run. Paths are relative to the
// manifest file's directory unless absolute, as in the real harness.
type Manifest struct {
	RunID          string `json:"run_id"`
	ReceiptPath    string `json:"receipt_path"`
	ReplayPath     string `json:"replay_path"`
	SummaryPath    string `json:"summary_path"`
	CheckpointPath string `json:"checkpoint_path"`
}

// The file names Capture and Mirror use inside a capture directory.
const (
	manifestFile   = "manifest.json"
	receiptFile    = "receipt.json"
	replayFile     = "replay.jsonl"
	summaryFile    = "summary.json"
	checkpointFile = "checkpoint.json"
)

// LoadManifest reads a manifest and returns it with the directory its
// relative paths are resolved against. Every field is required, as serde
// requires them in the real harness.
func LoadManifest(path string) (Manifest, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, "", ioError(err)
	}
	var m Manifest
	if err := decodeRequired(data, &m, "run_id", "receipt_path", "replay_path", "summary_path", "checkpoint_path"); err != nil {
		return Manifest{}, "", parseError(path, err)
	}
	return m, filepath.Dir(path), nil
}

// resolve turns a manifest path into a file path, honouring absolute paths.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// captureManifest is the manifest Capture and Mirror write: the four files
// sit next to it under fixed names.
func captureManifest(runID string) Manifest {
	return Manifest{
		RunID:          runID,
		ReceiptPath:    receiptFile,
		ReplayPath:     replayFile,
		SummaryPath:    summaryFile,
		CheckpointPath: checkpointFile,
	}
}

// writeManifest writes m into dir last of all files of a capture, atomically,
// so a manifest never points at files that are not there yet.
func writeManifest(dir string, m Manifest) (string, error) {
	data, err := marshalPretty(m)
	if err != nil {
		return "", fmt.Errorf("encoding manifest: %w", err)
	}
	path := filepath.Join(dir, manifestFile)
	if err := writeFileAtomic(path, data); err != nil {
		return "", err
	}
	return path, nil
}
