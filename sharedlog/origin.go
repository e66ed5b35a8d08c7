package sharedlog

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// originPath is where a journal's origin id lives: beside it, named after
// it (journal.jsonl → journal.origin).
func originPath(journalPath string) string {
	base := filepath.Base(journalPath)
	return filepath.Join(filepath.Dir(journalPath), strings.TrimSuffix(base, filepath.Ext(base))+".origin")
}

// loadOrigin returns the journal's origin id, creating it on first use.
// Two processes creating it at once agree: the file appears whole or not at
// all (a hard link never replaces), and the loser reads the winner's id.
func loadOrigin(journalPath string) (string, error) {
	path := originPath(journalPath)
	if id, err := readOrigin(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return id, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating journal origin: %w", err)
	}
	tmp, err := writeTemp(path, rand.Text())
	if err != nil {
		return "", err
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("creating journal origin: %w", err)
	}
	return readOrigin(path)
}

// renewOrigin gives the journal a new origin id: the file was replaced, so
// its records are a new history whose offsets must not meet the old ones.
func renewOrigin(journalPath string) (string, error) {
	path := originPath(journalPath)
	id := rand.Text()
	tmp, err := writeTemp(path, id)
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("renewing journal origin: %w", err)
	}
	return id, nil
}

// readOrigin reads an origin file, refusing anything that is not an id.
func readOrigin(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading journal origin: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" || len(id) > 64 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return "", fmt.Errorf("reading journal origin: %s is not an origin id (remove it to start a new one)", path)
	}
	return id, nil
}

// writeTemp writes id, synced and 0600, to a new file beside path.
func writeTemp(path, id string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("writing journal origin: %w", err)
	}
	_, werr := f.WriteString(id + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("writing journal origin: %w", err)
	}
	return f.Name(), nil
}
