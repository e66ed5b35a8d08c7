package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openagents/cockpit/internal/signing"
)

// `cockpit key` creates alice's key once (0600 under the state dir) and
// prints its public half on one line, with the team_keys line to add; once
// listed, it says so; a key others can read is refused with the fix.
func TestKeyPrintsTheOperatorsPublicKeyForTeamKeys(t *testing.T) {
	w := newActingWorld(t, false)
	code, out, errOut := runCockpit(t, "key", "--config", w.config)
	pub := strings.TrimSpace(out)
	if code != exitOK || strings.Count(out, "\n") != 1 || !strings.HasPrefix(pub, signing.Prefix) ||
		!strings.Contains(errOut, "team_keys:\n    alice: \""+pub+"\"") {
		t.Fatalf("cockpit key: exit %d, stdout %q, stderr %q: want one key line and the team_keys line", code, out, errOut)
	}
	path := signing.KeyPath(filepath.Join(w.dir, "state"), "alice")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("alice's key file: %v, want 0600", err)
	}
	raw, _ := os.ReadFile(w.config)
	if err := os.WriteFile(w.config, append(raw, []byte("team_keys:\n  alice: \""+pub+"\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, again, errOut := runCockpit(t, "key", "--config", w.config); code != exitOK || again != out || !strings.Contains(errOut, "listed in") {
		t.Fatalf("second cockpit key: exit %d, %q %q: want the same key, said listed", code, again, errOut)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCockpit(t, "key", "--config", w.config); code != exitUsage || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("a key others can read: exit %d, %q: want 4 naming chmod 600", code, errOut)
	}
}
