package main

import (
	"io"
	"os"

	"golang.org/x/term"
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
}

func systemStreams() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		IsTTY: term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))}
}
