package boundedhttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hugeBody streams n bytes from one small buffer, so the server side
// allocates next to nothing and the measurement is the client's.
func hugeBody(n int, withLength bool) http.HandlerFunc {
	chunk := []byte(strings.Repeat("x", 32<<10))
	return func(w http.ResponseWriter, r *http.Request) {
		if withLength {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		for left := n; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
	}
}

func TestHundredMegabytesRefusedWithBoundedMemory(t *testing.T) {
	for _, withLength := range []bool{false, true} {
		t.Run("content-length="+strconv.FormatBool(withLength), func(t *testing.T) {
			srv := httptest.NewServer(hugeBody(100<<20, withLength))
			defer srv.Close()
			c := NewClient(Options{Timeout: 30 * time.Second})

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			peak := watchPeakHeap()
			resp, err := c.Get(srv.URL + "/api/v1/query?query=up")
			var n int
			if err == nil {
				var b []byte
				b, err = io.ReadAll(resp.Body)
				n = len(b)
				_ = resp.Body.Close()
			}
			runtime.ReadMemStats(&after)
			top := peak()

			if err == nil {
				t.Fatalf("read %d bytes of a 100 MB body without an error", n)
			}
			if !IsTooLarge(err) {
				t.Fatalf("error %v, want a TooLargeError", err)
			}
			if want := "response over 4 MiB from " + srv.URL + "/api/v1/query"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			var tl *TooLargeError
			if errors.As(err, &tl) && strings.Contains(tl.Error(), "query=up") {
				t.Errorf("error %q repeats the query string", tl)
			}
			growth := int64(top) - int64(before.HeapAlloc)
			t.Logf("peak heap growth %.1f MB, %.1f MB allocated in all, refusing a 100 MB body (read %d bytes before the cap)",
				float64(growth)/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), n)
			if growth > 20<<20 {
				t.Errorf("peak heap grew %d bytes refusing the body, want < 20 MB", growth)
			}
		})
	}
}

func TestBodyAtTheCapIsRead(t *testing.T) {
	srv := httptest.NewServer(hugeBody(1000, false))
	defer srv.Close()
	c := NewClient(Options{MaxBytes: 1000})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 1000 {
		t.Fatalf("read %d bytes, err %v; want the whole 1000-byte body", len(b), err)
	}

	// A small body comes with its length, refused before reading; a
	// streamed one when the byte past the cap arrives.
	for _, h := range []http.HandlerFunc{hugeBody(1000, false), hugeBody(100<<10, false)} {
		srv := httptest.NewServer(h)
		defer srv.Close()
		c = NewClient(Options{MaxBytes: 999})
		resp, err = c.Get(srv.URL)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			_ = resp.Body.Close()
		}
		if !IsTooLarge(err) || !strings.Contains(err.Error(), "response over 999 bytes") {
			t.Fatalf("err %v, want response over 999 bytes", err)
		}
	}
}

// stalling is a server that sends prefix (nothing when empty) and then
// never another byte.
func stalling(t *testing.T, prefix string) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if prefix != "" {
			_, _ = w.Write([]byte(prefix))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

func TestServerThatNeverAnswersTimesOut(t *testing.T) {
	srv := stalling(t, "")
	c := NewClient(Options{Timeout: 200 * time.Millisecond})
	start := time.Now()
	resp, err := c.Get(srv.URL)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("a server that never answers answered")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("gave up after %s, want about 200ms", took)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	srv := stalling(t, `{"status":`)
	c := NewClient(Options{Timeout: 200 * time.Millisecond})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a stalled body read to the end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled body was still being read after 5s")
	}
}

func TestSignedRequestsRefuseRedirects(t *testing.T) {
	var landed int
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		landed++
		if r.Header.Get("X-Oa-Runtime-Signature") != "" {
			t.Error("the signature travelled to the redirect target")
		}
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusTemporaryRedirect))
	defer redirector.Close()
	c := NewClient(Options{NoRedirectHeader: "X-Oa-Runtime-Signature"})

	req, _ := http.NewRequest(http.MethodGet, redirector.URL+"/internal/v1/health", nil)
	req.Header.Set("X-Oa-Runtime-Signature", "v1.x.y")
	resp, err := c.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatal("a signed request followed a redirect")
	}
	if !strings.Contains(err.Error(), "refusing to follow a redirect of a signed request") {
		t.Errorf("error %q does not say why", err)
	}
	if landed != 0 {
		t.Fatalf("the redirect target got %d requests", landed)
	}

	resp, err = c.Get(redirector.URL + "/plain")
	if err != nil {
		t.Fatalf("an unsigned request could not follow a redirect: %v", err)
	}
	_ = resp.Body.Close()
	if landed != 1 {
		t.Fatalf("unsigned redirect landed %d times, want 1", landed)
	}
}

func TestWrapKeepsTheClientsOwnTimeoutAndTransport(t *testing.T) {
	base := &http.Client{Timeout: time.Second}
	c := Wrap(base, Options{Timeout: time.Minute, MaxBytes: 10})
	if c.Timeout != time.Second {
		t.Errorf("timeout %s, want the client's own 1s", c.Timeout)
	}
	if tr, ok := c.Transport.(*Transport); !ok || tr.MaxBytes != 10 {
		t.Errorf("transport %T, want a capped one", c.Transport)
	}
	if base.Transport != nil {
		t.Error("Wrap changed the client it was given")
	}
	if again := Wrap(c, Options{}); again.Transport != c.Transport {
		t.Error("wrapping twice stacked two caps")
	}
}

// watchPeakHeap samples the heap every millisecond until the returned
// function is called, which returns the largest HeapAlloc seen.
func watchPeakHeap() func() uint64 {
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}
