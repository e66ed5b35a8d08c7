package signing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAKeyIsCreatedOnceAndPrivate(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir, "alice", false); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no key, no create: %v, want not exist", err)
	}
	a, err := Load(dir, "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(KeyPath(dir, "alice"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode())
	}
	again, err := Load(dir, "alice", true)
	if err != nil || again.Public() != a.Public() {
		t.Fatalf("the key changed on a second load: %v", err)
	}
	if !strings.HasPrefix(a.Public(), Prefix) {
		t.Errorf("public key %q lacks %s", a.Public(), Prefix)
	}
	if err := os.Chmod(KeyPath(dir, "alice"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, "alice", true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read: %v, want refused naming chmod 600", err)
	}
	link := KeyPath(dir, "bob")
	if err := os.Symlink(KeyPath(dir, "alice"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, "bob", true); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a symlinked key: %v, want refused", err)
	}
	if _, err := Load(dir, "../etc/x", true); err == nil || !strings.Contains(err.Error(), "cannot hold a key") {
		t.Errorf("operator ../etc/x: %v, want refused", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc")); err == nil {
		t.Error("a key was written outside the keys directory")
	}
}

func TestCheckSaysWhyASignatureIsNotBelieved(t *testing.T) {
	dir := t.TempDir()
	alice, _ := Load(dir, "alice", true)
	mallory, _ := Load(dir, "mallory", true)
	ring, err := NewKeyring(map[string]string{"alice": alice.Public()})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("S1 done")
	cases := []struct {
		name, operator, key string
		msg, sig            []byte
		want                string
	}{
		{"good", "alice", alice.Public(), msg, alice.Sign(msg), ""},
		{"unsigned", "alice", "", msg, nil, "unsigned"},
		{"unknown key", "mallory", mallory.Public(), msg, mallory.Sign(msg), "signed by a key not in team_keys"},
		{"another operator", "bob", alice.Public(), msg, alice.Sign(msg), `signed with alice's key but names operator "bob"`},
		{"altered", "alice", alice.Public(), []byte("S4 done"), alice.Sign(msg), "signature does not match"},
		{"claims alice's key", "alice", alice.Public(), msg, mallory.Sign(msg), "signature does not match"},
		{"garbage key", "alice", "ed25519:xx", msg, alice.Sign(msg), "is not a public key"},
	}
	for _, c := range cases {
		err := ring.Check(c.operator, c.key, c.msg, c.sig)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// This machine's own key is believed only where team_keys says nothing of
// its operator or its key: a listed operator keeps the listed key.
func TestWithOwnNeverOverridesTheTeamsList(t *testing.T) {
	dir := t.TempDir()
	alice, err := Load(dir, "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Load(t.TempDir(), "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("round")
	sig := alice.Sign(msg)
	if err := (Keyring{}).WithOwn(alice).Check("alice", alice.Public(), msg, sig); err != nil {
		t.Errorf("own key with empty team_keys: %v, want believed", err)
	}
	listed, err := NewKeyring(map[string]string{"alice": other.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if err := listed.WithOwn(alice).Check("alice", alice.Public(), msg, sig); err == nil {
		t.Error("team_keys lists another key for alice, yet this machine's key is believed")
	}
	asBob, err := NewKeyring(map[string]string{"bob": alice.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if _, added := asBob.WithOwn(alice)["alice"]; added {
		t.Error("a key team_keys lists for bob was added again for alice")
	}
}
