package notify

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/redact"
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

// Defaults for what a config leaves out (config holds them: `config show`
// prints them).
const (
	DefaultTimeout   = config.DefaultNotifyTimeout
	DefaultQueueSize = config.DefaultNotifyQueueSize
)

// Config is the notify: section of the cockpit's config: plain data in
// config (config imports no feature package); what it means is here.
type Config = config.Notify

// Target is one webhook and the events it is told.
type Target = config.NotifyTarget

func init() { config.RegisterCheck(checkConfig) }

// checkConfig is Validate as config's check of the notify: section, so
// that `cockpit config validate` names each problem with its file:line.
func checkConfig(c *config.Config) []config.Problem {
	var nerr *ValidationError
	if !errors.As(Validate(c.Notify), &nerr) {
		return nil
	}
	out := make([]config.Problem, len(nerr.Problems))
	for i, p := range nerr.Problems {
		out[i] = config.Problem{Path: "$.notify." + p.Path, Msg: p.Msg}
	}
	return out
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

// Validate returns a *ValidationError naming every problem of c, or nil.
func Validate(c Config) error {
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
		validateTarget(&e, p, t)
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

func validateTarget(e *ValidationError, p string, t Target) {
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
		return fmt.Errorf("%s is not a URL", redact.URL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s is not http or https", redact.URL(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host", redact.URL(raw))
	}
	return nil
}
