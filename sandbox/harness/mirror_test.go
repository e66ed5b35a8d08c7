package harness

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMirrorPerturbations(t *testing.T) {
	tests := []struct {
		perturb  Perturbation
		policy   Policy
		wantDiff []string // fields, in report order
		wantGate Gate
	}{
		{NoPerturbation, CutoverPolicy(), nil, Gate{"allow", "parity within configured thresholds"}},
		{CriticalDiff, CutoverPolicy(), []string{"summary_last_seq", "checkpoint_last_seq"},
			Gate{"block", "critical parity diffs detected"}},
		{WarningDiff, CutoverPolicy(), []string{"replay_hash"},
			Gate{"block", "warning parity diffs (1) exceed policy threshold (0)"}},
		{WarningDiff, Policy{MaxWarnings: 1, BlockOnCritical: true}, []string{"replay_hash"},
			Gate{"allow", "parity within configured thresholds"}},
	}
	for _, tt := range tests {
		t.Run(tt.perturb.String(), func(t *testing.T) {
			dir := t.TempDir()
			rust := writeCapture(t, filepath.Join(dir, "rust"), baseCapture(t))
			legacy, err := Mirror(rust, filepath.Join(dir, "legacy"), tt.perturb)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Compare(legacy, rust, tt.policy, reportTime)
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, d := range r.Diffs {
				fields = append(fields, d.Field)
			}
			if !reflect.DeepEqual(fields, tt.wantDiff) || r.Gate != tt.wantGate {
				t.Errorf("diffs %v, gate %+v; want %v, %+v", fields, r.Gate, tt.wantDiff, tt.wantGate)
			}
			if r.LegacyRunID != fixtureRunID {
				t.Errorf("legacy run id = %q, want the mirrored run %s", r.LegacyRunID, fixtureRunID)
			}
		})
	}
}

func TestMirrorCriticalDiffLagsOneEvent(t *testing.T) {
	dir := t.TempDir()
	rust := writeCapture(t, filepath.Join(dir, "rust"), baseCapture(t))
	legacy, err := Mirror(rust, filepath.Join(dir, "legacy"), CriticalDiff)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compare(legacy, rust, CutoverPolicy(), reportTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diffs) != 2 {
		t.Fatalf("diffs %+v, want two", r.Diffs)
	}
	for _, d := range r.Diffs {
		if d.Severity != "critical" || d.Legacy != "2" || d.Rust != "3" {
			t.Errorf("diff %+v, want a critical legacy=2 rust=3", d)
		}
	}
}

func TestMirrorRefusesToOverwriteTheRustCapture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rust")
	c := baseCapture(t)
	rust := writeCapture(t, dir, c)
	if _, err := Mirror(rust, dir+"/.", WarningDiff); err == nil {
		t.Error("Mirror accepted the rust capture's own directory")
	}
	if got, err := os.ReadFile(filepath.Join(dir, replayFile)); err != nil || string(got) != c.replay {
		t.Errorf("rust replay changed by Mirror (%v)", err)
	}
}

func TestMirrorUnknownPerturbation(t *testing.T) {
	dir := t.TempDir()
	rust := writeCapture(t, filepath.Join(dir, "rust"), baseCapture(t))
	if _, err := Mirror(rust, filepath.Join(dir, "legacy"), Perturbation(99)); err == nil {
		t.Error("Mirror accepted Perturbation(99)")
	}
}
