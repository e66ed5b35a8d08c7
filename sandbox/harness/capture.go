package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// maxErrorBody bounds how much of a failed response's body an error quotes:
// enough for the runtime's {"error":"not_found"} without flooding a log.
const maxErrorBody = 200

// Capture records the Rust side of a run from the runtime's four read
// endpoints into dir and writes a manifest there, returning its path. Bodies
// are saved exactly as received: the replay's hash is over its raw bytes.
// Nothing is written unless all four reads succeed, so a manifest always
// describes a complete capture.
func Capture(ctx context.Context, client *http.Client, rustBaseURL, runID, dir string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	base := strings.TrimSuffix(rustBaseURL, "/")
	id := url.PathEscape(runID)
	files := []struct{ name, path string }{
		{receiptFile, "/internal/v1/runs/" + id + "/receipt"},
		{replayFile, "/internal/v1/runs/" + id + "/replay"},
		{summaryFile, "/internal/v1/projectors/run-summary/" + id},
		{checkpointFile, "/internal/v1/projectors/checkpoints/" + id},
	}
	bodies := make([][]byte, len(files))
	for i, f := range files {
		body, err := get(ctx, client, base+f.path)
		if err != nil {
			return "", fmt.Errorf("capturing run %s: %w", runID, err)
		}
		bodies[i] = body
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("capturing run %s: %w", runID, ioError(err))
	}
	for i, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), bodies[i]); err != nil {
			return "", fmt.Errorf("capturing run %s: %w", runID, err)
		}
	}
	return writeManifest(dir, captureManifest(runID))
}

// get fetches one artifact; anything but 200 is an error naming the URL and
// the status, since a 404 here usually means the runtime restarted and the
// run (kept in memory only) is gone.
func get(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building GET %s: %w", u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		if len(body) > maxErrorBody {
			body = body[:maxErrorBody]
		}
		return nil, fmt.Errorf("GET %s: status %s: %q", u, resp.Status, body)
	}
	return body, nil
}
