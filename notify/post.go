package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/cenkalti/backoff/v5"

	"github.com/openagents/cockpit/internal/safetext"
)

// maxAnswer bounds what is read of a receiver's answer: enough for its
// error message, nothing a hostile receiver could flood.
const maxAnswer = 2 << 10

// post is one delivery attempt, bounded by the client's timeout. A 2xx
// is a delivery, whatever its body (never read past maxAnswer, nor
// waited for). A timeout, a connection error, 408, 429 or 5xx may pass on
// a retry; any other answer (a redirect, a 4xx) will not.
func (t *target) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(t.secret.error(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	var nerr net.Error
	switch {
	case err != nil && ctx.Err() == nil && errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Errorf("no answer within %s", t.client.Timeout)
	case err != nil:
		return t.secret.error(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	status := safetext.CleanN(resp.Status, 80)
	err = fmt.Errorf("answered %s", status)
	if a := safetext.CleanN(strings.TrimSpace(t.secret.redact(string(answer))), 200); a != "" {
		err = fmt.Errorf("answered %s: %s", status, a)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return err
	}
	return backoff.Permanent(err)
}
