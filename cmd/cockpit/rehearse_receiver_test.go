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
	resp, err := http.Post(url+"hook/secret", "application/json", strings.NewReader("{\"text\":\"S1 done\"}\x1b[2J\r"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	line := next()
	if !strings.HasSuffix(line, `/hook/secret {"text":"S1 done"}⏎`) || strings.ContainsAny(line, "\x1b\r") {
		t.Errorf("printed %q, want the message on one clean line", line)
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Errorf("receiver exit %d after an interrupt, want 0", code)
	}
}
