package journal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/openagents/cockpit/internal/testsvc"
)

// A record larger than what is left of a full disk's last page is written
// in part (a short write): the append must fail, name the file and the
// errno, and the next record, once there is room, must start on its own
// line rather than be glued onto the fragment (and lost with it).
func TestAShortWriteIsClosedBeforeTheNextRecord(t *testing.T) {
	disk := testsvc.SmallDisk(t, 64<<10)
	path := Path(disk, "staging")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.Close() }()
	mustAppend(t, j, Record{Kind: KindIntent, Step: "A"})
	free := testsvc.FillDisk(t, disk)

	err = j.Append(Record{Kind: KindProgress, Step: "B", Message: strings.Repeat("b", 16<<10)})
	assertWriteError(t, err, path, syscall.ENOSPC, "free space or set state_dir")
	if size := fileSize(t, path); size <= int64(len(`{"kind":"intent"}`)) || endsWithNewline(t, path) {
		t.Fatalf("the full disk took no fragment of B (file %d bytes): the test proves nothing", size)
	}
	if j.Err() == nil {
		t.Error("Err is nil after a record was lost")
	}
	free()
	mustAppend(t, j, Record{Kind: KindOutcome, Step: "C"})

	recs, err := Read(path)
	var ce *CorruptError
	if !errors.As(err, &ce) || len(ce.Lines) != 1 || ce.Lines[0] != 2 {
		t.Errorf("read error %v, want B's fragment (line 2) reported as torn", err)
	}
	if got := stepList(recs); got != "A C" {
		t.Fatalf("records read back: %q, want A C (C glued onto B's fragment is lost)", got)
	}
	if j.Err() == nil {
		t.Error("Err forgot the lost record once the disk had room again")
	}
}

// A torn last line that Open cannot close (the disk is full to the byte)
// must not fail Open (a rollback opens the journal first): the next record
// carries the newline.
func TestOpenOnAFullDiskWithATornLineDoesNotFail(t *testing.T) {
	disk := testsvc.SmallDisk(t, 64<<10)
	path := Path(disk, "production")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	// A fragment filling its page exactly: not one more byte fits anywhere.
	torn := append([]byte(`{"kind":"outcome","message":"`), bytes.Repeat([]byte("x"), 4096-29)...)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	free := testsvc.FillDisk(t, disk)
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
		_, werr := f.Write([]byte("\n"))
		_ = f.Close()
		if werr == nil {
			t.Fatal("the full disk still took a newline: the test proves nothing")
		}
		_ = os.Truncate(path, int64(len(torn)))
	}
	j, err := Open(path)
	if err != nil {
		t.Fatalf("Open on a full disk with a torn line: %v", err)
	}
	defer func() { _ = j.Close() }()
	free()
	mustAppend(t, j, Record{Kind: KindSession, Step: "after"})
	recs, _ := Read(path)
	if got := stepList(recs); got != "after" {
		t.Fatalf("records read back: %q, want the record after the torn line", got)
	}
}

// A rollback's journal on a read-only state disk neither fails to open nor
// loses a record: each goes to stderr as a JSON line and to the fallback
// file, both named on stderr; a forward step's journal refuses to open,
// naming the file, the errno and the fix.
func TestAReadOnlyStateDiskFallsBackForARollback(t *testing.T) {
	disk := testsvc.SmallDisk(t, 64<<10)
	testsvc.RemountReadOnly(t, disk)
	path := Path(disk, "production")

	_, err := Open(path)
	assertWriteError(t, err, path, syscall.EROFS, "read-only")

	var stderr bytes.Buffer
	fbDir := t.TempDir()
	j := OpenWithFallback(path, Fallback{Env: "production", Stderr: &stderr, Dir: fbDir})
	defer func() { _ = j.Close() }()
	mustAppend(t, j, Record{Kind: KindIntent, Step: "rollback", Check: "R1"})
	fbPath := FallbackPath(fbDir, "production")
	out := stderr.String()
	for _, want := range []string{path, "read-only file system", fbPath} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr does not name %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, `"check":"R1"`) {
		t.Errorf("stderr lacks the record as a JSON line:\n%s", out)
	}
	recs, err := Read(fbPath)
	if err != nil || stepList(recs) != "rollback" {
		t.Errorf("fallback file holds %+v (%v), want the R1 record", recs, err)
	}
	if u := j.Fallback(); u.Records != 1 || u.File != fbPath || u.Cause == nil {
		t.Errorf("Fallback() = %+v", u)
	}
	if j.Err() == nil {
		t.Error("Err is nil although the journal's own file holds nothing")
	}
}

// A short write on a rollback's journal: the record that did not fit is
// whole in the fallback, the next one whole in the journal.
func TestAShortWriteOnARollbackKeepsBothRecords(t *testing.T) {
	disk := testsvc.SmallDisk(t, 64<<10)
	path := Path(disk, "staging")
	var stderr bytes.Buffer
	fbDir := t.TempDir()
	j := OpenWithFallback(path, Fallback{Env: "staging", Stderr: &stderr, Dir: fbDir})
	defer func() { _ = j.Close() }()
	mustAppend(t, j, Record{Kind: KindIntent, Step: "A"})
	free := testsvc.FillDisk(t, disk)
	mustAppend(t, j, Record{Kind: KindProgress, Step: "B", Message: strings.Repeat("b", 16<<10)})
	free()
	mustAppend(t, j, Record{Kind: KindOutcome, Step: "C"})

	recs, _ := Read(path)
	if got := stepList(recs); got != "A C" {
		t.Errorf("journal holds %q, want A C", got)
	}
	recs, err := Read(FallbackPath(fbDir, "staging"))
	if err != nil || stepList(recs) != "B" || len(recs[0].Message) != 16<<10 {
		t.Errorf("fallback holds %q (%v), want B whole", stepList(recs), err)
	}
}

// The fallback file may live in a shared /tmp: a symlink or a file others
// can read planted at its path is refused, and stderr alone takes the
// records.
func TestAPlantedFallbackFileIsRefused(t *testing.T) {
	for name, plant := range map[string]func(path string) error{
		"symlink":        func(p string) error { return os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), p) },
		"world-readable": func(p string) error { return os.WriteFile(p, nil, 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			fbDir := t.TempDir()
			fbPath := FallbackPath(fbDir, "production")
			if err := plant(fbPath); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(fbPath, 0o644); err != nil && name != "symlink" {
				t.Fatal(err) // WriteFile's mode is masked by the umask
			}
			notADir := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(notADir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			j := OpenWithFallback(Path(notADir, "production"), Fallback{Env: "production", Stderr: &stderr, Dir: fbDir})
			defer func() { _ = j.Close() }()
			mustAppend(t, j, Record{Kind: KindIntent, Step: "rollback"})
			if !strings.Contains(stderr.String(), "stderr (JSON lines) only") {
				t.Errorf("stderr does not say the fallback file was refused:\n%s", stderr.String())
			}
			if b, _ := os.ReadFile(fbPath); len(b) > 0 {
				t.Errorf("the planted file received %q", b)
			}
		})
	}
}

func mustAppend(t *testing.T, j *Journal, r Record) {
	t.Helper()
	if err := j.Append(r); err != nil {
		t.Fatalf("append %s: %v", r.Step, err)
	}
}

func assertWriteError(t *testing.T, err error, path string, errno syscall.Errno, fix string) {
	t.Helper()
	var we *WriteError
	if !errors.As(err, &we) || !errors.Is(err, errno) {
		t.Fatalf("err = %v, want a WriteError with %v", err, errno)
	}
	for _, want := range []string{"journal " + path + ": " + errno.Error(), fix} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func stepList(recs []Record) string { return strings.Join(steps(recs), " ") }

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func endsWithNewline(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(b) > 0 && b[len(b)-1] == '\n'
}
