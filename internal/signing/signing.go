// Package signing gives each operator an ed25519 key and judges what other
// machines signed. A record on the team's shared timeline is believed only
// when it carries a signature by a key the config lists for the operator it
// names: anyone who can INSERT into the table can write a row, but only a
// key's holder can sign one.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Prefix starts every public key as the config writes it.
const Prefix = "ed25519:"

// operatorName is what an operator may be called where a key is concerned:
// the name is a file name under the state dir. Compiled on first use: its
// bounded repeat compiles to 64 copies, a millisecond at every start.
var operatorName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
})

// ValidOperator refuses a name that cannot name a key file.
func ValidOperator(name string) error {
	if !operatorName().MatchString(name) {
		return fmt.Errorf("operator %q cannot hold a key: use letters, digits, '.', '_', '@' or '-' (at most 64, not starting with a symbol)", name)
	}
	return nil
}

// Signer is one operator's private key.
type Signer struct {
	Operator string
	key      ed25519.PrivateKey
}

// Public is the signer's public key as team_keys lists it.
func (s *Signer) Public() string {
	return FormatPublic(s.key.Public().(ed25519.PublicKey))
}

// Sign signs msg.
func (s *Signer) Sign(msg []byte) []byte { return ed25519.Sign(s.key, msg) }

// FormatPublic writes a public key as team_keys lists it.
func FormatPublic(k ed25519.PublicKey) string {
	return Prefix + base64.StdEncoding.EncodeToString(k)
}

// ParsePublic reads a public key as team_keys lists it.
func ParsePublic(s string) (ed25519.PublicKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), Prefix)
	if !ok {
		return nil, fmt.Errorf("%q is not a public key: want %s<base64> as `cockpit key` prints it", short(s), Prefix)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%q is not a public key: want %s<base64 of %d bytes> as `cockpit key` prints it", short(s), Prefix, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// KeyPath is where an operator's private key lives: <state_dir>/keys/<operator>.ed25519.
func KeyPath(stateDir, operator string) string {
	return filepath.Join(stateDir, "keys", operator+".ed25519")
}

// Load reads the operator's key from the state dir, creating it (0600, in
// a 0700 directory) on first use when create is set; a missing key without
// create is an error wrapping os.ErrNotExist. A key file others may read or
// write is refused, as ssh refuses one: anyone who can read it can sign as
// the operator.
func Load(stateDir, operator string, create bool) (*Signer, error) {
	if err := ValidOperator(operator); err != nil {
		return nil, err
	}
	path := KeyPath(stateDir, operator)
	s, err := read(path, operator)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !create {
		return s, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s's key: %w", operator, err)
	}
	if err := createKey(path); err != nil {
		return nil, err
	}
	return read(path, operator)
}

// read loads a key file, refusing anything but a private regular file
// holding one base64 seed.
func read(path, operator string) (*Signer, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s's key: %w", operator, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reading %s's key: %s is not a regular file (%s): remove it to make a new key", operator, path, fi.Mode().Type())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("reading %s's key: %s is open to others (mode %04o): chmod 600 %s", operator, path, fi.Mode().Perm(), path)
	}
	if fi.Size() > 1024 {
		return nil, fmt.Errorf("reading %s's key: %s is %d bytes, not a key", operator, path, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s's key: %w", operator, err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("reading %s's key: %s is not an ed25519 seed (remove it to make a new key, then list the new public key in team_keys)", operator, path)
	}
	return &Signer{Operator: operator, key: ed25519.NewKeyFromSeed(seed)}, nil
}

// createKey writes a new seed at path. Two processes creating it at once
// agree: the file appears whole or not at all (a hard link never replaces
// one), and the loser reads the winner's.
func createKey(path string) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return fmt.Errorf("creating a key: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating a key: %w", err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n")
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("creating a key: %w", err)
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating a key: %w", err)
	}
	return nil
}
