package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeRustRuntime serves one run's four artifacts the way the Rust runtime
// does; any other run is the runtime's post-restart 404.
func fakeRustRuntime(t *testing.T, bodies map[string]string, failPath string) *httptest.Server {
	t.Helper()
	routes := map[string]string{
		"/internal/v1/runs/" + fixtureRunID + "/receipt":      bodies[receiptFile],
		"/internal/v1/runs/" + fixtureRunID + "/replay":       bodies[replayFile],
		"/internal/v1/projectors/run-summary/" + fixtureRunID: bodies[summaryFile],
		"/internal/v1/projectors/checkpoints/" + fixtureRunID: bodies[checkpointFile],
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.URL.Path]
		if r.Method != http.MethodGet || !ok || r.URL.Path == failPath {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"not_found"}`))
			return
		}
		if strings.HasSuffix(r.URL.Path, "/replay") {
			w.Header().Set("Content-Type", "application/x-ndjson")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func captureContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCaptureSavesArtifactsByteExact(t *testing.T) {
	c := baseCapture(t)
	// Bytes a decode/re-encode round trip would change: non-ASCII, an
	// escaped '<', key order, spacing and a CRLF.
	c.replay = strings.Replace(c.replay, `"producer":"openagents-runtime"`,
		`"producer":"openagents-runtime","note":"naïve ✓ \u003c",  "z":1`, 1) + "\r\n"
	bodies := c.bodies(t)
	srv := fakeRustRuntime(t, bodies, "")
	dir := filepath.Join(t.TempDir(), "rust")

	manifest, err := Capture(captureContext(t), srv.Client(), srv.URL+"/", fixtureRunID, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range bodies {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s saved as %q (%v), want the response body byte for byte", name, got, err)
		}
	}
	m, mdir, err := LoadManifest(manifest)
	if err != nil || m != captureManifest(fixtureRunID) || mdir != dir {
		t.Errorf("manifest = %+v in %s (%v), want run %s with relative paths in %s", m, mdir, err, fixtureRunID, dir)
	}

	// The capture feeds the harness: hashing the saved replay gives the
	// hash of what the runtime served.
	legacy, err := Mirror(manifest, filepath.Join(t.TempDir(), "legacy"), NoPerturbation)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compare(legacy, manifest, CutoverPolicy(), reportTime)
	if err != nil || r.Gate.Decision != "allow" || len(r.Diffs) != 0 {
		t.Errorf("captured run against its own mirror: %+v (%v), want allow with no diffs", r, err)
	}
	s, err := loadSnapshot(manifest)
	if err != nil || s.replayHash != sha256Prefixed(c.replay) {
		t.Errorf("replay hash = %s (%v), want %s", s.replayHash, err, sha256Prefixed(c.replay))
	}
}

func TestCaptureNon200IsAnErrorAndWritesNothing(t *testing.T) {
	replayPath := "/internal/v1/runs/" + fixtureRunID + "/replay"
	srv := fakeRustRuntime(t, baseCapture(t).bodies(t), replayPath)
	dir := filepath.Join(t.TempDir(), "rust")

	_, err := Capture(captureContext(t), srv.Client(), srv.URL, fixtureRunID, dir)
	if err == nil || !strings.Contains(err.Error(), srv.URL+replayPath) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Capture() error = %v, want one naming %s and status 404", err, srv.URL+replayPath)
	}
	if _, err := os.Stat(filepath.Join(dir, manifestFile)); !os.IsNotExist(err) {
		t.Errorf("a manifest was written for a failed capture (stat: %v)", err)
	}
}

func TestCaptureUnreachableRuntime(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := Capture(captureContext(t), srv.Client(), url, fixtureRunID, t.TempDir()); err == nil {
		t.Error("Capture against a closed port succeeded")
	}
}
