package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The rehearsal's webhook receiver prints each message on one line, with
// hostile bytes cleaned, and stops on a signal.
func TestRehearseReceiverPrintsWhatItGets(t *testing.T) {
	t.Parallel()
	p := startProcess(t, cockpitBinary(t), "rehearse", "receiver", "--addr", "127.0.0.1:0")
	next := func() string {
		t.Helper()
		select {
		case l := <-p.lines:
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("no line from the receiver; stderr: %s", p.stderr)
			return ""
		}
	}
	first := strings.Fields(next())
	if len(first) < 2 || first[0] != "listening:" {
		t.Fatalf("first line %q, want listening: URL", first)
	}
	url := first[1]
	for body, want := range map[string]string{
		`{"kind":"action.done","text":"S1 done by alice \u001b[2J"}`: "/hook/secret S1 done by alice",
		"not json\x1b[2J\r": "/hook/secret not json⏎",
	} {
		resp, err := http.Post(url+"hook/secret", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if line := next(); !strings.HasSuffix(strings.TrimSpace(line), want) || strings.ContainsAny(line, "\x1b\r") {
			t.Errorf("printed %q, want the message's text on one clean line (%q)", line, want)
		}
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("receiver exit %d after an interrupt, want 0", code)
	}
}
