package harness

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteReportNameAndSchema(t *testing.T) {
	legacy, rust := writePair(t, nil)
	r, err := Compare(legacy, rust, CutoverPolicy(), time.Date(2026, 2, 21, 15, 1, 10, 500_000_000, time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := WriteReport(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "parity-20260221T140110Z-"+fixtureRunID+".json"); path != want {
		t.Errorf("path = %s, want %s", path, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"schema":        `"openagents.runtime.shadow_parity.v1"`,
		"generated_at":  `"2026-02-21T14:01:10.500+00:00"`,
		"legacy_run_id": `"` + fixtureRunID + `"`,
		"rust_run_id":   `"` + fixtureRunID + `"`,
		"diffs":         `[]`,
		"totals":        `{"critical":0,"warning":0}`,
		"gate":          `{"decision":"allow","reason":"parity within configured thresholds"}`,
	}
	for key, v := range want {
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw[key]); err != nil || compact.String() != v {
			t.Errorf("%s = %s, want %s", key, raw[key], v)
		}
	}
	if len(raw) != len(want) {
		t.Errorf("report has keys %v, want exactly %d", keys(raw), len(want))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the report (no temp files left)", len(entries))
	}
}

func TestWriteReportKeepsRunsApart(t *testing.T) {
	dir := t.TempDir()
	at := formatRFC3339(reportTime)
	// UUIDv7s created in the same minute share their first 8 characters.
	a, errA := WriteReport(dir, Report{GeneratedAt: at, RustRunID: "0195f3a2-6b1c-7d2e-9a4b-000000000001"})
	b, errB := WriteReport(dir, Report{GeneratedAt: at, RustRunID: "0195f3a2-6b1d-7d2e-9a4b-000000000002"})
	if errA != nil || errB != nil || a == b {
		t.Errorf("two runs' reports in the same second: %s (%v), %s (%v); want two files", a, errA, b, errB)
	}
}

func TestWriteReportSanitisesRunID(t *testing.T) {
	tests := []struct{ runID, wantName string }{
		{"../../etc/passwd", "parity-20260221T140110Z-______etc_passwd.json"},
		{"", "parity-20260221T140110Z-unknown.json"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path, err := WriteReport(dir, Report{GeneratedAt: formatRFC3339(reportTime), RustRunID: tt.runID})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dir, tt.wantName); path != want {
			t.Errorf("run id %q: report written to %s, want %s", tt.runID, path, want)
		}
	}
}

func TestWriteReportRejectsBadTimestamp(t *testing.T) {
	if _, err := WriteReport(t.TempDir(), Report{GeneratedAt: "yesterday", RustRunID: "r"}); err == nil {
		t.Error("WriteReport accepted generated_at \"yesterday\"")
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
