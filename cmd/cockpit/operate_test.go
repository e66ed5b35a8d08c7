package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The screen verbs refuse to start without a terminal, with exit 4 and the
// scripted alternative, before reading any config or building anything.
func TestScreenVerbsRefuseWithoutATerminal(t *testing.T) {
	for _, verb := range []string{"operate", "watch"} {
		t.Run(verb, func(t *testing.T) {
			var out, errOut bytes.Buffer
			s := &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTTY: false}
			err := run(context.Background(), []string{verb, "--config", "/nonexistent/config.yaml"}, s)
			if code := exitCode(err); code != exitUsage {
				t.Fatalf("exit %d (%v), want %d", code, err, exitUsage)
			}
			want := verb + " needs a terminal; use cockpit check/status in scripts"
			if err == nil || err.Error() != want {
				t.Fatalf("error %q, want %q", err, want)
			}
			if out.Len() != 0 {
				t.Fatalf("printed to stdout: %q", out.String())
			}
		})
	}
}

// On a terminal, a config that cannot be read is a usage error (exit 4).
func TestScreenVerbsReportABadConfig(t *testing.T) {
	for _, verb := range []string{"operate", "watch"} {
		var out bytes.Buffer
		s := &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out, IsTTY: true}
		err := run(context.Background(), []string{verb, "--config", t.TempDir() + "/missing.yaml"}, s)
		if code := exitCode(err); code != exitUsage {
			t.Fatalf("%s: exit %d (%v), want %d", verb, code, err, exitUsage)
		}
	}
}
