//go:build linux

package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"golang.org/x/sys/unix"
	xterm "golang.org/x/term"

	"github.com/openagents/cockpit/internal/testsvc"
)

// openPty opens a bare pseudo-terminal of w×h: the program gets the
// terminal's side, the test reads the screen from (and may answer on) the
// other. Nothing answers a query unless the test writes the answer.
func openPty(t *testing.T, w, h int) (screen, term *os.File) {
	t.Helper()
	screen, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening a pty: %v", err)
	}
	t.Cleanup(func() { screen.Close() })
	if err := unix.IoctlSetPointerInt(int(screen.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(screen.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty's terminal side: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	if err := unix.IoctlSetWinsize(int(term.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)}); err != nil {
		t.Fatalf("sizing the pty: %v", err)
	}
	return screen, term
}

// since is what the screen got from byte i on.
func since(out *testsvc.LockedBuffer, i int) []byte {
	s := out.String()
	return []byte(s[min(i, len(s)):])
}

// waitOutput polls the screen until cond holds or within has passed.
func waitOutput(t *testing.T, out *testsvc.LockedBuffer, from int, within time.Duration, what string, cond func([]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond(since(out, from)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear; the screen got:\n%q", what, since(out, from))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lightFocus is the light palette's focus colour (blue) in an SGR sequence.
var lightFocus = regexp.MustCompile(`\x1b\[(?:[0-9;]*;)?34(?:;[0-9;]*)?m`)

// A terminal that never answers the background-colour query (a serial
// console, a bare pty as here, some SSH multiplexers) gets its first frame
// with values at once, in the dark palette; lipgloss v1 waited 5 s for the
// answer first. When an answer does come, the screen adapts: on a light
// background the focus colour turns blue. The first frame's deadline sits
// just below the old 5 s stall, so a query that blocks fails; it is 4.5 s,
// not less, because an in-process frame can take seconds on a loaded
// machine under -race. The adaptation's deadline only bounds the wait.
func TestFirstFrameNeverWaitsForTheTerminalsColours(t *testing.T) {
	screen, term := openPty(t, 80, 24)
	out := &testsvc.LockedBuffer{}
	go func() { _, _ = io.Copy(out, screen) }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The input is the pty, raw as a screen makes it, behind a plain reader:
	// given the *os.File, the program's input goroutine reads its descriptor
	// directly and outlives Run, racing the test's Close of the pty.
	if _, err := xterm.MakeRaw(int(term.Fd())); err != nil {
		t.Fatalf("making the pty raw: %v", err)
	}
	o := Options{Mode: Watch, Observer: &fakeObserver{state: healthyState()}, Input: struct{ io.Reader }{term}, Output: term,
		Now: func() time.Time { return clock }, Refresh: time.Hour, Signals: testSignals(), Profile: colorprofile.ANSI}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()

	waitOutput(t, out, 0, 4500*time.Millisecond, "a frame with values", func(b []byte) bool { return bytes.Contains(b, []byte("rust_active")) })
	seen := since(out, 0)
	if !bytes.Contains(seen, []byte("\x1b]11;?")) {
		t.Errorf("the screen never asked the terminal for its background colour:\n%q", seen)
	}
	if lightFocus.Match(seen) {
		t.Fatalf("the first frame is not in the dark palette:\n%q", seen)
	}

	if _, err := screen.WriteString("\x1b]11;rgb:ffff/ffff/ffff\x1b\\"); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, out, len(seen), time.Minute, "the light palette after the terminal answered", lightFocus.Match)

	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("the screen did not stop cleanly: %v", err)
	}
}
