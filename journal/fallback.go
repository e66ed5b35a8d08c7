package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Fallback is where a rollback's journal puts the records its own file
// refuses: every one on Stderr as a JSON line (the same line the file would
// have had), and in a second file, FallbackPath(Dir, Env), on another disk
// than the state dir as a rule.
type Fallback struct {
	Env    string
	Stderr io.Writer
	Dir    string // FallbackDir() when empty
}

// FallbackDir is $XDG_RUNTIME_DIR (a per-user tmpfs on most Linux hosts)
// when it is set to an absolute path, else os.TempDir().
func FallbackDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return d
	}
	return os.TempDir()
}

// FallbackPath is the second file of env's fallback journal in dir.
func FallbackPath(dir, env string) string {
	return filepath.Join(dir, "cockpit-"+filepath.Base(env)+"-fallback.jsonl")
}

// fallback is a Fallback in use: its file is opened on the first record.
type fallback struct {
	stderr    io.Writer
	path      string
	file      *lineFile
	fileErr   error // why the file cannot be used; then stderr alone holds the records
	announced bool
	records   int
	cause     error // the primary's failure that sent the first record here
}

func newFallback(fb Fallback) *fallback {
	dir := fb.Dir
	if dir == "" {
		dir = FallbackDir()
	}
	stderr := fb.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	return &fallback{stderr: stderr, path: FallbackPath(dir, fb.Env)}
}

// announce says once, on stderr, that the journal's file failed and where
// its records go instead.
func (b *fallback) announce(cause error) {
	if b.announced {
		return
	}
	b.announced, b.cause = true, cause
	b.openFile()
	where := "stderr (JSON lines) and " + b.path
	if b.fileErr != nil {
		where = "stderr (JSON lines) only: " + b.fileErr.Error()
	}
	fmt.Fprintf(b.stderr, "cockpit: %v; the rollback goes on, journaling to %s\n", cause, where)
}

// write puts one line on stderr and in the fallback file; it fails only
// when neither took it.
func (b *fallback) write(line []byte, cause error) error {
	b.announce(cause)
	_, errOut := fmt.Fprintf(b.stderr, "%s\n", line)
	errFile := b.fileErr
	if b.file != nil {
		errFile = b.file.write(line)
	}
	if errOut != nil && errFile != nil {
		return fmt.Errorf("%w; fallback journal: stderr: %v; %s: %v", cause, errOut, b.path, errFile)
	}
	b.records++
	return nil
}

// openFile opens the fallback file for appending, refusing one that is not
// this user's private regular file (the directory may be a shared /tmp: a
// planted symlink or a file another user can read must not receive records).
func (b *fallback) openFile() {
	f, err := os.OpenFile(b.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		b.fileErr = fmt.Errorf("fallback journal %s: %w", b.path, err)
		return
	}
	if err := private(f); err != nil {
		_ = f.Close()
		b.fileErr = fmt.Errorf("fallback journal %s: %w: not used", b.path, err)
		return
	}
	b.file = &lineFile{f: f, torn: endsMidLine(b.path)}
}

// private checks that f is a regular file owned by this user with no
// group or other permissions.
func private(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("owned by uid %d, not this user", sys.Uid)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("mode %s lets others read it", st.Mode().Perm())
	}
	return nil
}

func (b *fallback) close() {
	if b != nil && b.file != nil {
		_ = b.file.f.Close()
	}
}

// FallbackUse is what went to a journal's fallback.
type FallbackUse struct {
	Records int    // records the journal's file refused and the fallback took
	File    string // the fallback file; "" when it was refused too (stderr alone)
	FileErr error  // why the fallback file was refused
	Cause   error  // the journal file's failure that sent the first record there
}

// Fallback says what went to the fallback: Records is 0 while every record
// reached the journal's own file (or the journal has no fallback).
func (j *Journal) Fallback() FallbackUse {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fb == nil || j.fb.records == 0 {
		return FallbackUse{}
	}
	u := FallbackUse{Records: j.fb.records, FileErr: j.fb.fileErr, Cause: j.fb.cause}
	if j.fb.fileErr == nil {
		u.File = j.fb.path
	}
	return u
}

// String names where the records went, for the operator.
func (u FallbackUse) String() string {
	where := "stderr and " + u.File
	if u.File == "" {
		where = fmt.Sprintf("stderr only (%v)", u.FileErr)
	}
	return fmt.Sprintf("%d journal record(s) went to %s (%v)", u.Records, where, u.Cause)
}
