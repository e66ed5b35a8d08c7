package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/notify"
)

// receiver is a webhook on 127.0.0.1. It answers with the statuses it was
// given, in turn, then 200; a refusal echoes the URL it was posted to, as
// a careless receiver would. It keeps the bodies it accepted.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	answers  []int
	requests int
	bodies   []string
	accepted chan struct{}
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers, accepted: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests++
		code := http.StatusOK
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		if code == http.StatusOK {
			r.bodies = append(r.bodies, string(b))
		}
		r.mu.Unlock()
		if code != http.StatusOK {
			http.Error(w, fmt.Sprintf("no such hook %s", req.URL), code)
			return
		}
		r.accepted <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + secretPath + "?" + secretQuery }

// waitBodies waits until n bodies were accepted and returns them.
func (r *receiver) waitBodies(t *testing.T, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.After(within)
	for range n {
		select {
		case <-r.accepted:
		case <-deadline:
			t.Fatalf("%d of %d messages arrived within %s", len(r.got()), n, within)
		}
	}
	return r.got()
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// hangingReceiver accepts a connection and never answers; arrived hears
// of each request.
func hangingReceiver(t *testing.T) (url string, arrived <-chan struct{}) {
	ch := make(chan struct{}, 100)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ch <- struct{}{}
		select {
		case <-req.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL + secretPath + "?" + secretQuery, ch
}

// failure is one OnFailure call.
type failure struct {
	target string
	event  notify.Event
	err    error
	at     time.Time
}

// failureLog collects OnFailure calls.
type failureLog struct {
	mu  sync.Mutex
	all []failure
	ch  chan failure
}

func newFailureLog() *failureLog { return &failureLog{ch: make(chan failure, 1000)} }

func (f *failureLog) add(target string, e notify.Event, err error) {
	f.mu.Lock()
	f.all = append(f.all, failure{target, e, err, time.Now()})
	f.mu.Unlock()
	f.ch <- failure{target, e, err, time.Now()}
}

func (f *failureLog) got() []failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]failure(nil), f.all...)
}

func (f *failureLog) wait(t *testing.T, within time.Duration) failure {
	t.Helper()
	select {
	case got := <-f.ch:
		return got
	case <-time.After(within):
		t.Fatalf("no failure reported within %s", within)
	}
	return failure{}
}

func closeWithin(t *testing.T, n *notify.Notifier, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
