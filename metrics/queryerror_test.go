package metrics

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// TestQueryErrorIsScreenSafe: Prometheus's error type, message and detail
// (or a proxy's page in their place) are outside text, cleaned here for the
// screen, the journal and scripted output.
func TestQueryErrorIsScreenSafe(t *testing.T) {
	const hostile = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"
	for _, err := range []error{
		&v1.Error{Type: v1.ErrorType("bad_data" + hostile), Msg: hostile, Detail: "<html>\n" + hostile + "\n</html>"},
		errors.New("Post \"http://prom\": " + hostile),
	} {
		qe := queryError("up", err)
		for _, s := range []string{qe.Error(), qe.Type, qe.Msg} {
			if strings.ContainsAny(s, "\x1b\x07\r\n") {
				t.Errorf("query error reaches the screen raw: %q", s)
			}
		}
		if !strings.Contains(qe.Error(), "…⏎P1 PASS") {
			t.Errorf("the message is kept as data: %q", qe.Error())
		}
		if !errors.Is(qe, err) {
			t.Error("the original error is still wrapped")
		}
	}
}
