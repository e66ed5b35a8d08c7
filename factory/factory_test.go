package factory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
)

// testConfig writes a config for one environment, staging, whose state
// directory is stateDir and whose legacy signature secret is secret. Its
// URLs answer nothing: nothing here observes.
func testConfig(t *testing.T, stateDir, secret string) string {
	t.Helper()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`state_dir: %s
environments:
  staging:
    prometheus: {url: "http://127.0.0.1:1"}
    rust_runtime: {url: "http://127.0.0.1:1"}
    legacy_runtime: {url: "http://127.0.0.1:1", signature_secret_file: %q}
signals:
  rust_write_error_rate: {query: "vector(0)", volume_query: "vector(100)"}
  legacy_write_error_rate: {query: "vector(0)", volume_query: "vector(100)"}
  legacy_http_5xx_ratio: {query: "vector(0)"}
  rust_write_share: {query: "vector(1)"}
  frozen_write_refusals: {query: "vector(0)"}
  misrouted_writes: {query: "vector(0)"}
  projection_lag: {query: "vector(1)"}
  projection_write_failure_ratio: {query: "vector(0)"}
  drift_events: {query: "vector(0)"}
  hash_mismatch_drift: {query: "vector(0)"}
  replay_failures: {query: "vector(0)"}
`, stateDir, secretFile)
	path := filepath.Join(dir, "cockpit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func testStreams() (*Streams, *bytes.Buffer) {
	var out bytes.Buffer
	return &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, &out
}

// What a process holds is its mode's: watch and the read-only verbs get
// an engine and never a lock or an executor, watch not even a journal;
// the acting modes get the journal, the lock and the executor. Each part
// is built once.
func TestTheModeDecidesWhatAProcessHolds(t *testing.T) {
	for _, tc := range []struct {
		mode        Mode
		journal     bool
		acts        bool
		sharedFeeds bool
	}{
		{Read, true, false, false},
		{Watch, false, false, true},
		{Act, true, true, false},
		{Rollback, true, true, false},
		{Operate, true, true, true},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			s, _ := testStreams()
			f := New(s, testConfig(t, t.TempDir(), "a-secret"), "", tc.mode)
			defer f.Close()
			eng, err := f.Engine()
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := f.Engine(); again != eng {
				t.Error("a second Engine() built another engine")
			}
			if j, err := f.Journal(); err != nil || (j != nil) != tc.journal {
				t.Errorf("journal %v (%v), want one: %v", j, err, tc.journal)
			}
			x, err := f.Executor()
			if (err == nil) != tc.acts || (x != nil) != tc.acts {
				t.Errorf("executor %v (%v), want one: %v", x, err, tc.acts)
			}
			if !tc.acts && (err == nil || !strings.Contains(err.Error(), "this process only reads")) {
				t.Errorf("a %v process asked for a lock: %v, want refused saying it only reads", tc.mode, err)
			}
			if (f.Shared() != nil) != tc.sharedFeeds {
				t.Errorf("shared feed %v, want one: %v", f.Shared(), tc.sharedFeeds)
			}
		})
	}
}

// The config's secrets are hidden from every write to the streams once
// the config is loaded, and Close closes the journal it opened.
func TestConfigRedactsTheStreamsAndCloseClosesTheJournal(t *testing.T) {
	s, out := testStreams()
	f := New(s, testConfig(t, t.TempDir(), "hunter2-signature"), "", Act)
	j, err := f.Journal()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f.Streams.Out, "the secret is hunter2-signature")
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "[REDACTED]") {
		t.Errorf("stdout %q: want the secret redacted", out.String())
	}
	f.Close()
	if err := j.Append(journal.Record{Kind: journal.KindProgress, Message: "after close"}); err == nil {
		t.Error("the journal still takes records after Close")
	}
}

// A state directory that cannot hold the journal stops a forward step
// before it starts, never a rollback (its fallback takes the records), and
// never a check (it only probes every time).
func TestAnUnwritableStateDirStopsOnlyAForwardStep(t *testing.T) {
	blocked := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for mode, wantErr := range map[Mode]bool{Act: true, Rollback: false, Read: false} {
		s, _ := testStreams()
		f := New(s, testConfig(t, filepath.Join(blocked, "state"), "x-secret"), "", mode)
		_, err := f.Journal()
		if (err != nil) != wantErr {
			t.Errorf("%v: journal error %v, want one: %v", mode, err, wantErr)
		}
		if _, err := f.Engine(); (err != nil) != wantErr {
			t.Errorf("%v: engine error %v, want one: %v", mode, err, wantErr)
		}
		f.Close()
	}
}

// A config that does not load is said by every part that needs it, and
// built once.
func TestABadConfigIsSaidByEveryPart(t *testing.T) {
	s, _ := testStreams()
	f := New(s, filepath.Join(t.TempDir(), "missing.yaml"), "", Read)
	_, err1 := f.Engine()
	_, err2 := f.Environment()
	if err1 == nil || err2 == nil || !strings.Contains(err1.Error(), "missing.yaml") {
		t.Errorf("engine %v, environment %v: want both to name the missing config", err1, err2)
	}
	f2 := New(s, testConfig(t, t.TempDir(), "y-secret"), "production", Read)
	if _, err := f2.Engine(); err == nil || !strings.Contains(err.Error(), "production") {
		t.Errorf("an environment the config lacks: %v, want it named", err)
	}
}
