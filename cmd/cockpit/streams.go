package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/openagents/cockpit/journal"
)

// Streams are the program's I/O, injected so tests can run every command
// over buffers, as a terminal or as a pipe.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTTY says stdout is a terminal: text with colour for people, plain
	// lines otherwise. The TUI never starts without one.
	IsTTY bool
	// secrets hide the config's secrets from Out and ErrOut once a verb
	// has loaded it (loadConfig).
	secrets *journal.Redactor
}

// systemStreams are the process's own; its log goes past the redactor too.
func systemStreams() *Streams {
	s := &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		IsTTY: term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))}
	redactLog(s)
	return s
}
