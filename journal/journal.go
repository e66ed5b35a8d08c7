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
//
// A journal fails loudly: the first write its file refuses (a full or
// read-only state disk) is kept and returned by Err, so a forward step can
// stop at its next safe point and a check-only run never prints OK for a
// result it could not record. A journal opened with OpenWithFallback (a
// rollback's) never fails: what its file refuses goes to the fallback.
type Journal struct {
	path string

	mu       sync.Mutex
	file     *lineFile // nil when the file could not be opened
	closed   bool
	failed   *WriteError // the first write the file refused; sticky
	fb       *fallback   // nil: strict
	defaults Record
	secrets  []string
}

// Open opens (or creates) the journal at path for appending, creating its
// directory; it fails (with a *WriteError naming the file and the errno)
// only when the file cannot be opened at all. When a killed process or a
// short write left a torn last line, a newline is written first so the next
// record starts on a line of its own; when even that cannot be written (a
// full disk), the next record carries the newline instead, so Open itself
// never fails on it.
func Open(path string) (*Journal, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	return &Journal{path: path, file: f}, nil
}

// OpenWithFallback is Open for a rollback: it never fails. When the file
// cannot be opened or later refuses a record, the record goes to fb instead
// (stderr as a JSON line, and a second file), and fb.Stderr is told once
// where, so a full or read-only state disk never stops a rollback nor
// loses what it did.
func OpenWithFallback(path string, fb Fallback) *Journal {
	j := &Journal{path: path, fb: newFallback(fb)}
	f, err := openFile(path)
	if err != nil {
		j.failed = err
		j.fb.announce(err)
		return j
	}
	j.file = f
	return j
}

// openFile opens path for appending and notes whether it ends mid-line.
func openFile(path string) (*lineFile, *WriteError) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, &WriteError{Path: path, Err: err}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &WriteError{Path: path, Err: err}
	}
	lf := &lineFile{f: f, torn: endsMidLine(path)}
	if lf.torn {
		lf.closeTornLine()
	}
	return lf, nil
}

// endsMidLine reports whether the file at path is non-empty and does not
// end with a newline. A file it cannot read is assumed torn: one blank line
// too many costs nothing, a record glued onto a fragment is lost.
func endsMidLine(path string) bool {
	r, err := os.Open(path)
	if err != nil {
		return true
	}
	defer func() { _ = r.Close() }()
	st, err := r.Stat()
	if err != nil {
		return true
	}
	if st.Size() == 0 {
		return false
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, st.Size()-1); err != nil && err != io.EOF {
		return true
	}
	return last[0] != '\n'
}

// Path is the file this journal appends to.
func (j *Journal) Path() string { return j.path }

// Err is the first write the journal's file refused (a *WriteError), nil
// while every record reached it. It stays set once a record is lost from
// the file, even if later ones are written again: the history has a hole.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failed == nil {
		return nil
	}
	return j.failed
}

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
// When the file refuses the record, Append returns a *WriteError (and Err
// keeps it), unless the journal has a fallback and the record reached it.
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("appending to journal: %w", os.ErrClosed)
	}
	line, err := j.encode(r)
	if err != nil {
		return err
	}
	err = j.writeFile(line)
	if err == nil || j.fb == nil {
		return err
	}
	return j.fb.write(line, err)
}

// encode stamps, redacts and marshals r.
func (j *Journal) encode(r Record) ([]byte, error) {
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
		return nil, fmt.Errorf("encoding journal record: %w", err)
	}
	return line, nil
}

// writeFile appends line to the journal's file, keeping its first failure.
func (j *Journal) writeFile(line []byte) error {
	if j.file == nil {
		return j.failed // the file never opened
	}
	if err := j.file.write(line); err != nil {
		we := &WriteError{Path: j.path, Err: err}
		if j.failed == nil {
			j.failed = we
		}
		return we
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

// Close flushes and closes the file (and the fallback's); later appends fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.fb.close()
	if j.file == nil {
		return nil
	}
	if err := j.file.f.Close(); err != nil {
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
