// Package boundedhttp bounds what the cockpit reads from the network: every
// response body is capped (a body over the cap is an error that says so,
// never an out-of-memory), every client has a timeout, and a request
// carrying a signature never follows a redirect (the signature header would
// travel to wherever the redirect points).
package boundedhttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxBytes is the cap when none is configured: every answer the
// cockpit reads (a Prometheus vector, a runtime's JSON) is far smaller.
const DefaultMaxBytes = 4 << 20

// DefaultTimeout bounds a whole exchange, body included, when no timeout is
// given: a server that accepts and never answers must not hang a verb.
const DefaultTimeout = 30 * time.Second

// TooLargeError is a response body longer than the cap.
type TooLargeError struct {
	Max int64
	URL string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response over %s from %s", FormatBytes(e.Max), e.URL)
}

// FormatBytes renders a byte count as the cap is configured: 4 MiB, 512 KiB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Transport caps every response body its Base returns at MaxBytes. A body
// that announces a larger Content-Length is refused before it is read.
type Transport struct {
	Base     http.RoundTripper // http.DefaultTransport when nil
	MaxBytes int64             // DefaultMaxBytes when ≤ 0
}

// NewTransport wraps base; max ≤ 0 means DefaultMaxBytes.
func NewTransport(base http.RoundTripper, max int64) *Transport {
	return &Transport{Base: base, MaxBytes: max}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	max := t.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	where := redactedURL(req)
	if resp.ContentLength > max {
		_ = resp.Body.Close()
		return nil, &TooLargeError{Max: max, URL: where}
	}
	resp.Body = &cappedBody{rc: resp.Body, left: max, err: &TooLargeError{Max: max, URL: where}}
	return resp, nil
}

// redactedURL names where a response came from without its query string
// (a PromQL query can be long) or any user info.
func redactedURL(req *http.Request) string {
	if req.URL == nil {
		return "(unknown URL)"
	}
	u := *req.URL
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// cappedBody reads at most left bytes; one byte more is a TooLargeError.
type cappedBody struct {
	rc   io.ReadCloser
	mu   sync.Mutex
	left int64
	err  *TooLargeError
	over bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		b.over = true
		n = int(b.left)
		b.left = 0
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// IsTooLarge reports whether err is (or wraps) a TooLargeError.
func IsTooLarge(err error) bool {
	var e *TooLargeError
	return errors.As(err, &e)
}

// Options shape a client.
type Options struct {
	MaxBytes int64         // DefaultMaxBytes when ≤ 0
	Timeout  time.Duration // DefaultTimeout when ≤ 0
	// NoRedirectHeader, when set, names a header whose presence on a
	// request makes any redirect an error (a signed request is answered
	// where it was sent, or not at all).
	NoRedirectHeader string
}

// NewClient is a client over a clone of http.DefaultTransport with the cap,
// the timeout and the redirect rule.
func NewClient(o Options) *http.Client {
	return Wrap(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}, o)
}

// Wrap returns a copy of c (nil: a new client) whose transport caps bodies,
// with o's timeout where c has none and o's redirect rule in front of c's own.
func Wrap(c *http.Client, o Options) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	if _, ok := out.Transport.(*Transport); !ok {
		out.Transport = NewTransport(out.Transport, o.MaxBytes)
	}
	if out.Timeout <= 0 {
		out.Timeout = o.Timeout
		if out.Timeout <= 0 {
			out.Timeout = DefaultTimeout
		}
	}
	if h := o.NoRedirectHeader; h != "" {
		next := out.CheckRedirect
		out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) > 0 && via[0].Header.Get(h) != "" {
				return fmt.Errorf("refusing to follow a redirect of a signed request to %s", redactedURL(req))
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}
	}
	return &out
}
