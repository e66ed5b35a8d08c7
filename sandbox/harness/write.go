package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxRunIDInName caps the run id part of a report's file name. A UUIDv7's
// first characters are its creation time, so a short prefix would collide
// for runs created within the same minute (the four scenario runs of one
// tick); the whole 36-character id keeps one report per run and second.
const maxRunIDInName = 36

// WriteReport archives r in dir as
// parity-<generated_at as 20060102T150405Z>-<rust run id>.json, atomically,
// so the cockpit, which globs this directory, never reads half a report.
func WriteReport(dir string, r Report) (string, error) {
	at, err := time.Parse(time.RFC3339Nano, r.GeneratedAt)
	if err != nil {
		return "", fmt.Errorf("report generated_at %q: %w", r.GeneratedAt, err)
	}
	name := fmt.Sprintf("parity-%s-%s.json", at.UTC().Format("20060102T150405Z"), fileSafe(r.RustRunID))
	path := filepath.Join(dir, name)
	if err := WriteReportFile(path, r); err != nil {
		return "", err
	}
	return path, nil
}

// WriteReportFile writes r to exactly path, as the CLI's --output does.
func WriteReportFile(path string, r Report) error {
	data, err := marshalPretty(r)
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return writeFileAtomic(path, data)
}

// fileSafe keeps a run id usable as part of a file name: anything but
// letters, digits, '-' and '_' becomes '_', so an id can never climb out of
// the report directory.
func fileSafe(runID string) string {
	if len(runID) > maxRunIDInName {
		runID = runID[:maxRunIDInName]
	}
	if runID == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, runID)
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so a concurrent reader sees the old file or the new one, never
// a torn one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return ioError(err)
	}
	defer os.Remove(tmp.Name()) // a no-op once the rename has happened
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return ioError(err)
	}
	if err := tmp.Close(); err != nil {
		return ioError(err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return ioError(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return ioError(err)
	}
	return nil
}
