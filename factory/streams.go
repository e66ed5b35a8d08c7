package factory

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"

	"golang.org/x/term"

	"github.com/openagents/cockpit/journal"
)

// Streams are the program's I/O, injected so tests can run every command
// over buffers, as a terminal or as a pipe (cli/cli's IOStreams).
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTTY says stdout is a terminal: text with colour for people, plain
	// lines otherwise. The TUI never starts without one.
	IsTTY bool
	// secrets hide the config's secrets from Out and ErrOut once a verb
	// has loaded it (Factory.Config).
	secrets *journal.Redactor
}

// System are the process's own streams; its log goes past the redactor too.
func System() *Streams {
	s := &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		IsTTY: term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd()))}
	// The standard logger (and slog's default, which writes through it)
	// goes to ErrOut, past the same redactor.
	s.AddSecrets()
	log.SetOutput(s.ErrOut)
	return s
}

// AddSecrets tells the streams' redactor more secrets, installing it over
// Out and ErrOut on first use: from then on no formatter, progress line,
// error or screen has to remember to hide them.
func (s *Streams) AddSecrets(secrets ...string) {
	if s.secrets == nil {
		s.secrets = journal.NewRedactor()
		s.Out = redactingOutput(s.Out, s.secrets)
		s.ErrOut = redactingOutput(s.ErrOut, s.secrets)
	}
	s.secrets.Add(secrets...)
}

// Redact is text with every known secret replaced by [REDACTED].
func (s *Streams) Redact(text string) string {
	if s.secrets == nil {
		return text
	}
	return s.secrets.Redact(text)
}

// Mask is text with every known secret masked in place, for the screen.
func (s *Streams) Mask(text string) string {
	if s.secrets == nil {
		return text
	}
	return s.secrets.Mask(text)
}

// OpenLog sends logs to a file, past the redactor: nothing prints while a
// screen is up. No path: the logs are discarded.
func (s *Streams) OpenLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(redactingWriter{w: f, hide: s.Redact}, nil)), func() { f.Close() }, nil
}

// redactingOutput wraps w. Text for a pipe or a file gets [REDACTED]; a
// terminal gets each secret masked in place ("****", as many as its
// runes), since the screen is laid out to the column, and stays a terminal
// to whoever asks (bubbletea's size, lipgloss's colours).
func redactingOutput(w io.Writer, r *journal.Redactor) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return redactingTerminal{redactingWriter{w: f, hide: r.Mask}, f}
	}
	return redactingWriter{w: w, hide: r.Redact}
}

// redactingWriter hides secrets in each write. A secret split across two
// writes would pass: every writer of the program formats a whole line or a
// whole JSON document in one write, and the screen, whose renderer writes
// only the cells that changed, masks secrets in each whole frame before
// (tui.Options.Mask).
type redactingWriter struct {
	w    io.Writer
	hide func(string) string
}

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.hide(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// redactingTerminal is a redactingWriter over a terminal that still reads
// and answers as one (term.File).
type redactingTerminal struct {
	redactingWriter
	f *os.File
}

func (t redactingTerminal) Read(p []byte) (int, error) { return t.f.Read(p) }
func (t redactingTerminal) Fd() uintptr                { return t.f.Fd() }
func (t redactingTerminal) Close() error               { return t.f.Close() }
