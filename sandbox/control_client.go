package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ControlClient calls a rehearsal world's control API (what `cockpit
// rehearse ctl` is to the world, and gcloud to the real cutover) and writes
// the world's answers to Out.
type ControlClient struct {
	Base, Env string
	Out       io.Writer
	HTTP      *http.Client
}

// ControlRefused is a request the world refused (HTTP 400): the caller must
// fix it. Any other failure is a control that ran and failed, like a deploy.
type ControlRefused struct{ Msg string }

func (r *ControlRefused) Error() string { return r.Msg }

// Call posts one control verb for the client's environment.
func (c *ControlClient) Call(ctx context.Context, verb string, body map[string]any) error {
	b, _ := json.Marshal(body)
	return c.do(ctx, http.MethodPost, c.Base+"/env/"+c.Env+"/"+verb, bytes.NewReader(b))
}

// State prints every environment's state as JSON.
func (c *ControlClient) State(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, c.Base+"/state", nil)
}

// do prints the world's answer, or says why there is none.
func (c *ControlClient) do(ctx context.Context, method, url string, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return &ControlRefused{Msg: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("the rehearsal world is not answering at %s (is `cockpit rehearse` running?): %w", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		_, err := c.Out.Write(raw)
		return err
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if resp.StatusCode == http.StatusBadRequest {
		return &ControlRefused{Msg: msg}
	}
	return errors.New(msg)
}
