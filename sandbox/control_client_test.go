package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
)

// The client prints the world's answer, says a refused request (400) as
// ControlRefused with the world's words, any other failure as an error, and
// an absent world by its URL, with what to check.
func TestControlClientSaysRefusedFailedAndAbsent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/state":
			_, _ = w.Write([]byte(`{"staging":{}}`))
		case "/env/staging/fault":
			http.Error(w, `{"error":"unknown fault \"nope\""}`, http.StatusBadRequest)
		default:
			http.Error(w, "redeploy failed", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	c := &ControlClient{Base: srv.URL, Env: "staging", Out: &out, HTTP: srv.Client()}
	if err := c.State(t.Context()); err != nil || out.String() != `{"staging":{}}` {
		t.Errorf("state: %v, printed %q", err, out.String())
	}
	var refused *ControlRefused
	if err := c.Call(t.Context(), "fault", map[string]any{"name": "nope"}); !errors.As(err, &refused) || refused.Msg != `unknown fault "nope"` {
		t.Errorf("a refused call: %v, want ControlRefused with the world's words", err)
	}
	if err := c.Call(t.Context(), "redeploy", nil); err == nil || errors.As(err, &refused) || err.Error() != "redeploy failed" {
		t.Errorf("a failed control: %v, want the world's words, not a refusal", err)
	}
	srv.Close()
	err := c.State(t.Context())
	if err == nil || errors.As(err, &refused) || !strings.Contains(err.Error(), "is `cockpit rehearse` running?") || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("an absent world: %v, want its URL and what to check", err)
	}
}

// The receiver prints a message's text, cleaned, on one line, and a body
// that is not JSON as it came (cleaned too); it returns once ctx ends.
func TestReceivePrintsEachMessageOnOneCleanLine(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out testsvc.LockedBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Receive(ctx, ln, &out) }()
	for _, body := range []string{`{"text":"S1 done \u001b[2J"}`, "plain\x1b[2J\r"} {
		resp, err := http.Post("http://"+ln.Addr().String()+"/hook", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(strings.TrimSpace(lines[0]), " /hook S1 done") || !strings.HasSuffix(lines[1], " /hook plain⏎") ||
		strings.ContainsAny(out.String(), "\x1b\r") {
		t.Errorf("printed %q, want two clean lines with each message's text", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Receive after ctx ended: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Receive did not return after ctx ended")
	}
}
