package notify_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/notify"
)

// A 2xx answer is a delivery whatever its body: a webhook answering 200
// with 10 MB (announced in Content-Length, or streamed chunked) gets the
// message once, with the default retries, and no failure is reported. It
// used to get it 4 times: the bounded client refused the announced length
// before the status was looked at, and the refusal was retried.
func TestATwoHundredWithAHugeBodyIsDeliveredOnce(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 10<<20)
	for _, announced := range []bool{true, false} {
		t.Run("Content-Length "+strconv.FormatBool(announced), func(t *testing.T) {
			var posts atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				_, _ = io.Copy(io.Discard, req.Body)
				posts.Add(1)
				if announced {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(body)
			}))
			t.Cleanup(srv.Close)
			fails := newFailureLog()
			n, err := notify.New(notify.Config{Targets: []notify.Target{
				{Name: "chatty", URL: srv.URL, Format: notify.FormatSlack, Events: []string{notify.KindOverride}},
			}}, notify.Options{OnFailure: fails.add})
			if err != nil {
				t.Fatal(err)
			}
			n.Notify(notify.Event{Kind: notify.KindOverride, Env: "prod", Operator: "bob", Step: "S4", Reason: "soak done by hand"})
			closeWithin(t, n, 30*time.Second)
			if got := posts.Load(); got != 1 {
				t.Errorf("the webhook got the message %d times, want once", got)
			}
			if f := fails.got(); len(f) > 0 || n.Failures()["chatty"] != 0 {
				t.Errorf("a delivered message was reported failed: %v", f)
			}
		})
	}
}

// A 2xx whose body never ends (the receiver stalls after its headers) is a
// delivery at once: the body is not waited for, nor is the target's
// timeout spent on it.
func TestATwoHundredWithAStalledBodyIsDeliveredAtOnce(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		posts.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("accepted, and more to come"))
		w.(http.Flusher).Flush()
		<-req.Context().Done() // until the client hangs up
	}))
	t.Cleanup(srv.Close)
	fails := newFailureLog()
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "stalling", URL: srv.URL, Format: notify.FormatJSON, Events: []string{notify.KindOverride}, Timeout: time.Minute},
	}}, notify.Options{OnFailure: fails.add})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.Event{Kind: notify.KindOverride, Env: "prod", Operator: "bob", Step: "S4", Reason: "soak done by hand"})
	closeWithin(t, n, 20*time.Second) // the target's own timeout is a minute
	if got := posts.Load(); got != 1 || len(fails.got()) > 0 {
		t.Errorf("%d posts, failures %v; want one delivery", got, fails.got())
	}
}
