package main

import (
	"context"
	"io"
	"log"
	"os"

	"golang.org/x/term"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/tui"
)

// loadConfig is config.Load for a verb: from then on every write to the
// verb's streams hides the config's secrets (config.Config.Secrets), so no
// formatter, progress line, error or screen has to remember to.
func loadConfig(s *Streams, path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	s.redact(cfg.Secrets...)
	return cfg, nil
}

// redact tells the streams' redactor more secrets, installing it over Out
// and ErrOut on first use.
func (s *Streams) redact(secrets ...string) {
	if s.secrets == nil {
		s.secrets = journal.NewRedactor()
		s.Out = redactingOutput(s.Out, s.secrets)
		s.ErrOut = redactingOutput(s.ErrOut, s.secrets)
	}
	s.secrets.Add(secrets...)
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

// redactingObserver hands on each round with the config's secrets hidden
// (runbook.State.Redacted): the screen, the shared observation feed and
// the cockpit's /metrics all take their rounds from it.
type redactingObserver struct {
	tui.Observer
	hide func(string) string
}

func (o redactingObserver) Observe(ctx context.Context) runbook.State {
	return o.Observer.Observe(ctx).Redacted(o.hide)
}

// redactLog sends the standard logger (and slog's default, which writes
// through it) to s.ErrOut, past the same redactor.
func redactLog(s *Streams) {
	s.redact()
	log.SetOutput(s.ErrOut)
}
