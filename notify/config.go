package notify

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Formats a target can post.
const (
	// FormatSlack posts {"text": "..."}, what Slack's incoming webhooks
	// (and Mattermost's, and Teams' Slack-compatible ones) take.
	FormatSlack = "slack"
	// FormatJSON posts the event itself with its text:
	// {"kind": ..., "env": ..., ..., "at": ..., "text": ...}.
	FormatJSON = "json"
)

// Defaults for what a config leaves out.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultQueueSize = 100
)

// Config is the notify: section of the cockpit's config, e.g.
//
//	notify:
//	  targets:
//	    - name: ops-slack
//	      url: ${SLACK_WEBHOOK_URL}
//	      format: slack
//	      events: [action.failed, override, rollback.started, rollback.done, incident.firing]
//	      timeout: 5s
//	    - name: audit
//	      url: https://audit.example/cutover
//	      format: json
//	      events: [action.started, action.done, action.failed, override]
//	      template: "{{.Step}} {{.Kind}} by {{.Operator}}"
//
// No targets, no notifications.
type Config struct {
	Targets []Target `yaml:"targets"`
	// QueueSize bounds each target's queue (default 100): past it, the
	// oldest message waiting is dropped and counted as a failure.
	QueueSize int `yaml:"queue_size"`
}

// Target is one webhook and the events it is told.
type Target struct {
	// Name identifies the target in failures and counters.
	Name string `yaml:"name"`
	// URL is where messages are posted. Its path and query are treated as
	// secrets (a Slack webhook's path is its token): String, errors and logs
	// show only the scheme and host.
	URL    string `yaml:"url"`
	Format string `yaml:"format"` // slack or json
	// Events are the kinds this target is told (see Kinds).
	Events []string `yaml:"events"`
	// Timeout bounds each delivery attempt, answer included (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// Template, when set, is the message text: a text/template over Event
	// ({{.Env}}, {{.Step}}, {{.Message}}…), rendered with the event's
	// values already cleaned of control characters.
	Template string `yaml:"template"`
}

// String names the target without its URL's secrets.
func (t Target) String() string {
	return fmt.Sprintf("%s (%s to %s)", t.Name, t.Format, redactURL(t.URL))
}

// Problem is one thing wrong in a Config, at a YAML path relative to the
// notify: section (e.g. targets[0].events[1]).
type Problem struct {
	Path string
	Msg  string
}

// ValidationError lists every problem of a Config, not just the first.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "notify." + p.Path + ": " + p.Msg
	}
	return strings.Join(lines, "\n")
}

func (e *ValidationError) add(path, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Validate returns a *ValidationError naming every problem, or nil.
func (c Config) Validate() error {
	var e ValidationError
	if c.QueueSize < 0 {
		e.add("queue_size", "%d is negative (leave it out for %d)", c.QueueSize, DefaultQueueSize)
	}
	names := map[string]int{}
	for i, t := range c.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		if first, dup := names[t.Name]; dup && t.Name != "" {
			e.add(p+".name", "%q is already the name of targets[%d]", t.Name, first)
		}
		names[t.Name] = i
		t.validate(&e, p)
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

func (t Target) validate(e *ValidationError, p string) {
	if t.Name == "" {
		e.add(p+".name", "missing: name the target (it names its failures)")
	}
	if err := checkURL(t.URL); err != nil {
		e.add(p+".url", "%v", err)
	}
	if t.Format != FormatSlack && t.Format != FormatJSON {
		e.add(p+".format", "%q is not a format (want %s or %s)", t.Format, FormatSlack, FormatJSON)
	}
	if len(t.Events) == 0 {
		e.add(p+".events", "no events: list the ones this target is told (%s)", strings.Join(kinds, ", "))
	}
	for j, k := range t.Events {
		if !slices.Contains(kinds, k) {
			e.add(fmt.Sprintf("%s.events[%d]", p, j), "%q is not an event (want one of %s)", k, strings.Join(kinds, ", "))
		}
	}
	if slices.Contains(t.Events, KindIncidentResolved) && !slices.Contains(t.Events, KindIncidentFiring) {
		e.add(p+".events", "%s without %s: an incident is told resolved only after it was told firing; add %s",
			KindIncidentResolved, KindIncidentFiring, KindIncidentFiring)
	}
	if t.Timeout < 0 {
		e.add(p+".timeout", "%s is negative (leave it out for %s)", t.Timeout, DefaultTimeout)
	}
	if _, err := newText(t.Template); err != nil {
		e.add(p+".template", "%v", err)
	}
}

// checkURL accepts an absolute http or https URL; its errors never repeat
// the URL's path or query.
func checkURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("missing: the webhook's http or https URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a URL", redactURL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s is not http or https", redactURL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host", redactURL(raw))
	}
	return nil
}

// timeout is t's timeout or the default.
func (t Target) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultTimeout
}

// Effective is c with its defaults filled in (queue size, each target's
// timeout), as the notifier will use them: what `cockpit config show` prints.
func (c Config) Effective() Config {
	out := Config{Targets: slices.Clone(c.Targets), QueueSize: cmp.Or(c.QueueSize, DefaultQueueSize)}
	for i := range out.Targets {
		out.Targets[i].Timeout = out.Targets[i].timeout()
	}
	return out
}
