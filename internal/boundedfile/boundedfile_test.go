package boundedfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadARegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte(`{"ok":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	b, fi, err := Read(context.Background(), path, Options{})
	if err != nil || string(b) != `{"ok":true}` || fi.Size() != int64(len(b)) {
		t.Fatalf("Read = %q, %v, %v", b, fi, err)
	}
}

// A named pipe with no writer would block a plain open forever (the
// rollback that hung 11 minutes); a device can be endless (/dev/zero).
// Both are refused at once, named, without reading a byte.
func TestNonRegularFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "parity-latest.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, kind string
		o          Options
	}{
		{fifo, "a named pipe", Options{}},
		{link, "a named pipe", Options{}}, // followed, then refused
		{link, "a symlink", Options{NoFollow: true}},
		{"/dev/zero", "a device", Options{}},
		{dir, "a directory", Options{}},
	} {
		_, _, err := Read(context.Background(), c.path, c.o)
		var nr *NotRegularError
		if !errors.As(err, &nr) || nr.Kind != c.kind || !strings.Contains(err.Error(), c.path) {
			t.Errorf("Read(%s, %+v) = %v, want it refused as %s", c.path, c.o, err, c.kind)
		}
		f, _, err := Open(context.Background(), c.path, c.o)
		if !errors.As(err, &nr) || f != nil {
			t.Errorf("Open(%s, %+v) = %v, %v, want it refused", c.path, c.o, f, err)
		}
	}
}

func TestAFileOverTheCapIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, make([]byte, 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Read(context.Background(), path, Options{MaxBytes: 1024})
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "larger than 1 KiB") {
		t.Fatalf("err = %v, want a TooLargeError saying 1 KiB", err)
	}
	if _, _, err := Read(context.Background(), path, Options{MaxBytes: 1025}); err != nil {
		t.Fatalf("a file of exactly the cap: %v", err)
	}
}

// A read the kernel never returns from (a hung NFS server) cannot be made
// portably in a test: this drives the same waiting code with a function
// that blocks until released. The caller gets a TimeoutError at its bound;
// a read of the same path while the first is stuck past its bound is
// refused at once; once the stuck read returns, the path reads again.
func TestAStuckReadIsGivenUpAndNotPiledUp(t *testing.T) {
	release := make(chan struct{})
	stuck := func() (int, error) { <-release; return 1, nil }
	const bound = 50 * time.Millisecond
	path := "/nfs/hung/report.json"

	_, err := bounded(context.Background(), path, bound, stuck, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a TimeoutError naming the path", err)
	}
	calls := 0
	_, err = bounded(context.Background(), path, bound, func() (int, error) { calls++; return 2, nil }, nil)
	var be *BlockedError
	if !errors.As(err, &be) || calls != 0 {
		t.Fatalf("second read while the first is stuck: %v (ran %d times), want a BlockedError without running", err, calls)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := bounded(context.Background(), path, bound, func() (int, error) { return 3, nil }, nil)
		if err == nil && v == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the path never read again after the stuck read returned: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A signal (the verb's context cancelled) ends the wait at once, with the
// cause, whatever the bound.
func TestACancelledContextEndsTheWait(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("terminated received"))
	_, err := bounded(ctx, "/nfs/hung/token", time.Hour, func() (int, error) { <-release; return 0, nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "terminated received") {
		t.Fatalf("err = %v, want the cancellation's cause", err)
	}
}
