package journal

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal appends records to one file. It is safe for concurrent use.
type Journal struct {
	path string

	mu       sync.Mutex
	f        *os.File
	defaults Record
	secrets  []string
}

// Open opens (or creates) the journal at path for appending, creating its
// directory. When a killed process left a torn last line, a newline is
// written first so the next record starts on a line of its own.
func Open(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating journal directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	if err := endWithNewline(path, f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Journal{path: path, f: f}, nil
}

// endWithNewline isolates a torn last line from the records that follow.
func endWithNewline(path string, w *os.File) error {
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening journal: %w", err)
	}
	defer func() { _ = r.Close() }()
	st, err := r.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil && err != io.EOF {
		return fmt.Errorf("reading journal: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := w.Write([]byte("\n")); err != nil {
		return fmt.Errorf("repairing torn journal line: %w", err)
	}
	return w.Sync()
}

// Path is the file this journal appends to.
func (j *Journal) Path() string { return j.path }

// SetDefaults stamps every later record that leaves Env, Operator, Host or
// ConfigHash empty with these values, so each line says who acted, where,
// and under which configuration.
func (j *Journal) SetDefaults(env, operator, host, configHash string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.defaults = Record{Env: env, Operator: operator, Host: host, ConfigHash: configHash}
}

// AddSecrets names values that must never reach the file (the legacy
// signature secret, a DB password, a bearer token); every string field is
// passed through Redact with them.
func (j *Journal) AddSecrets(secrets ...string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, s := range secrets {
		if s != "" {
			j.secrets = append(j.secrets, s)
		}
	}
}

// Append writes r as one line and fsyncs it before returning, so a record
// the caller saw succeed survives a crash. A zero Time is set to now (UTC).
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("appending to journal: %w", os.ErrClosed)
	}
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	r.Env = or(r.Env, j.defaults.Env)
	r.Operator = or(r.Operator, j.defaults.Operator)
	r.Host = or(r.Host, j.defaults.Host)
	r.ConfigHash = or(r.ConfigHash, j.defaults.ConfigHash)
	j.redact(&r)
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding journal record: %w", err)
	}
	// One write call per line: with O_APPEND the line lands whole even if
	// another process appends to the same file.
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("appending to journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing journal: %w", err)
	}
	return nil
}

func (j *Journal) redact(r *Record) {
	for _, p := range []*string{&r.Step, &r.Check, &r.Verdict, &r.Evidence, &r.Message, &r.Reason} {
		*p = Redact(*p, j.secrets...)
	}
	if len(r.Argv) > 0 {
		argv := make([]string, len(r.Argv))
		for i, a := range r.Argv {
			argv[i] = Redact(a, j.secrets...)
		}
		r.Argv = argv
	}
}

// Close flushes and closes the file; later appends fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	if err != nil {
		return fmt.Errorf("closing journal: %w", err)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
