package recording

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openagents/cockpit/config"
)

// A recording bound too small to hold anything is refused at its line,
// with the fix; left out, the recorder's default holds.
func TestATooSmallRecordingBoundIsRefusedAtItsLine(t *testing.T) {
	base, err := os.ReadFile("../cmd/cockpit/config_example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, append(base, []byte("\nrecording:\n  max_bytes: 1000\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path)
	if err == nil || !strings.Contains(err.Error(), "recording.max_bytes") || !strings.Contains(err.Error(), "1000 bytes is below the smallest recording") {
		t.Fatalf("max_bytes: 1000: %v", err)
	}
	if err := os.WriteFile(path, base, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.StateDir = t.TempDir()
	r, err := Open(cfg, "staging", "watch", "v1", nil, nil)
	if err != nil || r == nil || r.o.MaxBytes != DefaultMaxBytes {
		t.Fatalf("the default recorder: %+v, %v", r, err)
	}
	_ = r.Close()
	cfg.Recording.Off = true
	if r, err := Open(cfg, "staging", "watch", "v1", nil, nil); r != nil || err != nil {
		t.Fatalf("recording off still records: %v %v", r, err)
	}
}
