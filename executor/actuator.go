package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
)

// killGrace is how long a timed-out actuator's process group gets between
// SIGTERM and SIGKILL.
const killGrace = 2 * time.Second

// outputTail is how much of an actuator's combined output is kept: enough
// for gcloud's error, small enough for the journal.
const outputTail = 4 << 10

// Call is one resolved actuator invocation, exactly as it will run: the
// confirm dialog shows it and the journal records it.
type Call struct {
	Actuator    string        `json:"actuator"`
	Argv        []string      `json:"argv,omitempty"`
	HTTP        string        `json:"http,omitempty"` // "POST https://…"
	Description string        `json:"description"`
	Timeout     time.Duration `json:"-"`
	// request carries the HTTP body and headers; headers may hold tokens,
	// so they are never shown or journaled.
	request *httpRequest
	// env is the command's own environment entries (NAME=value), given
	// beside the cockpit's: how a command gets a secret. Never shown or
	// journaled, and never in the argv, which ps shows every user.
	env []string
}

type httpRequest struct {
	method, url, body string
	headers           map[string]string
}

// Show renders the call for people and the journal: the argv (quoted where
// needed) or the HTTP method and URL, never headers.
func (c Call) Show() string {
	if c.HTTP != "" {
		return c.HTTP
	}
	parts := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`|&;<>()*?[]{}") {
			parts[i] = fmt.Sprintf("%q", a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// ResolveCall renders a configured action with one closed set of typed
// values: the values are checked first, then every argv element (or the
// HTTP URL and body) goes through config.RenderAll. Nothing a remote system
// returned can reach an argument.
func ResolveCall(name string, a *config.Action, values any, description string) (Call, error) {
	if a == nil {
		return Call{}, fmt.Errorf("actuator %s is not configured", name)
	}
	if c, ok := values.(interface{ Check() error }); ok {
		if err := c.Check(); err != nil {
			return Call{}, fmt.Errorf("actuator %s: %w", name, err)
		}
	}
	call := Call{Actuator: name, Description: description, Timeout: a.Timeout.D()}
	if a.HTTP != nil {
		rendered, err := config.RenderAll([]string{a.HTTP.URL, a.HTTP.Body}, values)
		if err != nil {
			return Call{}, fmt.Errorf("rendering actuator %s: %w", name, err)
		}
		method := strings.ToUpper(a.HTTP.Method)
		if method == "" {
			method = http.MethodPost
		}
		call.HTTP = method + " " + rendered[0]
		call.request = &httpRequest{method: method, url: rendered[0], body: rendered[1], headers: a.HTTP.Headers}
		return call, nil
	}
	if len(a.Argv) == 0 {
		return Call{}, fmt.Errorf("actuator %s has neither argv nor http", name)
	}
	argv, err := config.RenderAll(a.Argv, values)
	if err != nil {
		return Call{}, fmt.Errorf("rendering actuator %s: %w", name, err)
	}
	call.Argv = argv
	for _, k := range slices.Sorted(maps.Keys(a.Env)) {
		call.env = append(call.env, k+"="+a.Env[k])
	}
	return call, nil
}

// ActionResult is what one actuator run did.
type ActionResult struct {
	ExitCode   int // process exit status; -1 when it did not exit by itself
	HTTPStatus int // for HTTP actions
	// Output is the last 4 KiB of combined output (or response body), every
	// line cleaned for the screen (safetext.CleanLines): whole for the
	// journal, summarised by Summary for screens.
	Output   string
	TimedOut bool
	Duration time.Duration
	Err      error
}

// OK is a zero exit, or a 2xx answer.
func (r ActionResult) OK() bool {
	if r.Err != nil || r.TimedOut {
		return false
	}
	if r.HTTPStatus != 0 {
		return r.HTTPStatus >= 200 && r.HTTPStatus < 300
	}
	return r.ExitCode == 0
}

// Summary is one line for the journal's evidence and the progress callback:
// how the run ended, then the output's first line and how many lines follow
// it, which the journal keeps whole and the evidence view shows.
func (r ActionResult) Summary() string {
	var s string
	switch {
	case r.TimedOut:
		s = fmt.Sprintf("timed out after %s; process group killed", r.Duration.Round(time.Millisecond))
	case r.Err != nil:
		s = safetext.Clean(r.Err.Error())
	case r.HTTPStatus != 0:
		s = fmt.Sprintf("HTTP %d in %s", r.HTTPStatus, r.Duration.Round(time.Millisecond))
	default:
		s = fmt.Sprintf("exit %d in %s", r.ExitCode, r.Duration.Round(time.Millisecond))
	}
	first, more := safetext.FirstLine(r.Output)
	if first == "" {
		return s
	}
	s += ": " + safetext.Clean(first)
	if more > 0 {
		s += fmt.Sprintf(" (%d more %s, e to see)", more, plural(more, "line", "lines"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Actuator runs resolved calls.
type Actuator struct {
	HTTPClient *http.Client
	Now        func() time.Time
}

// Run executes the call under its timeout (and ctx). A command runs without
// a shell in its own process group; at the timeout the whole group gets
// SIGTERM, then SIGKILL after 2 s, so a hung gcloud and its children die
// together.
func (x Actuator) Run(ctx context.Context, c Call) ActionResult {
	start := x.now()
	var r ActionResult
	if c.request != nil {
		r = x.runHTTP(ctx, c)
	} else {
		r = x.runArgv(ctx, c)
	}
	r.Duration = x.now().Sub(start)
	// An actuator's output is outside text (gcloud's colours, a proxy's
	// error page, whatever a script prints): cleaned here, line by line,
	// before the journal or a screen sees it.
	r.Output = safetext.CleanLines(r.Output)
	return r
}

func (x Actuator) runHTTP(ctx context.Context, c Call) ActionResult {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, c.request.method, c.request.url, strings.NewReader(c.request.body))
	if err != nil {
		return ActionResult{ExitCode: -1, Err: fmt.Errorf("building request: %w", err)}
	}
	for k, v := range c.request.headers {
		req.Header.Set(k, v)
	}
	client := x.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return ActionResult{ExitCode: -1, TimedOut: errors.Is(ctx.Err(), context.DeadlineExceeded),
			Err: fmt.Errorf("calling %s: %w", c.HTTP, err)}
	}
	defer resp.Body.Close()
	tail := &tailBuffer{}
	_, _ = io.Copy(tail, resp.Body)
	return ActionResult{ExitCode: -1, HTTPStatus: resp.StatusCode, Output: tail.String()}
}

func (x Actuator) runArgv(ctx context.Context, c Call) ActionResult {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	tail := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = tail, tail
	// A child left behind holding our pipe must not hang Wait.
	cmd.WaitDelay = killGrace
	if err := cmd.Start(); err != nil {
		return ActionResult{ExitCode: -1, Err: fmt.Errorf("starting %s: %w", c.Argv[0], err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timeout <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var (
		err      error
		timedOut bool
	)
	select {
	case err = <-done:
	case <-timeout:
		timedOut = true
		err = killGroup(cmd.Process.Pid, done)
	case <-ctx.Done():
		timedOut = true
		err = killGroup(cmd.Process.Pid, done)
	}
	r := ActionResult{ExitCode: cmd.ProcessState.ExitCode(), Output: tail.String(), TimedOut: timedOut}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		r.Err = fmt.Errorf("running %s: %w", c.Argv[0], err)
	}
	return r
}

// killGroup sends SIGTERM to the process group, waits up to killGrace for
// the leader, then SIGKILLs whatever of the group is left, and returns the
// leader's Wait error.
func killGroup(pgid int, done <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	grace := time.NewTimer(killGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		if syscall.Kill(-pgid, 0) == nil { // leader gone, children linger
			<-grace.C
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		return err
	case <-grace.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

func (x Actuator) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}
