package config

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/openagents/cockpit/internal/redact"
)

// Defaults for what the notify: section leaves out; the notify package
// delivers with them and `cockpit config show` prints them.
const (
	DefaultNotifyTimeout   = 5 * time.Second
	DefaultNotifyQueueSize = 100
)

// Notify is the notify: section of the cockpit's config, e.g.
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
// No targets, no notifications. It is plain data: the notify package owns
// what the fields mean (formats, event kinds, templates) and checks them
// through RegisterCheck, so that config imports no feature package.
type Notify struct {
	Targets []NotifyTarget `yaml:"targets"`
	// QueueSize bounds each target's queue (default 100): past it, the
	// oldest message waiting is dropped and counted as a failure.
	QueueSize int `yaml:"queue_size"`
}

// NotifyTarget is one webhook and the events it is told.
type NotifyTarget struct {
	// Name identifies the target in failures and counters.
	Name string `yaml:"name"`
	// URL is where messages are posted. Its path and query are treated as
	// secrets (a Slack webhook's path is its token): String, errors and logs
	// show only the scheme and host.
	URL    string `yaml:"url"`
	Format string `yaml:"format"` // slack or json
	// Events are the kinds this target is told (notify.Kinds).
	Events []string `yaml:"events"`
	// Timeout bounds each delivery attempt, answer included (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// Template, when set, is the message text: a text/template over
	// notify.Event ({{.Env}}, {{.Step}}, {{.Message}}…), rendered with the
	// event's values already cleaned of control characters.
	Template string `yaml:"template"`
}

// String names the target without its URL's secrets.
func (t NotifyTarget) String() string {
	return fmt.Sprintf("%s (%s to %s)", t.Name, t.Format, redact.URL(t.URL))
}

// EffectiveTimeout is t's timeout or the default.
func (t NotifyTarget) EffectiveTimeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultNotifyTimeout
}

// Effective is c with its defaults filled in (queue size, each target's
// timeout), as the notifier will use them: what `cockpit config show` prints.
func (c Notify) Effective() Notify {
	out := Notify{Targets: slices.Clone(c.Targets), QueueSize: cmp.Or(c.QueueSize, DefaultNotifyQueueSize)}
	for i := range out.Targets {
		out.Targets[i].Timeout = out.Targets[i].EffectiveTimeout()
	}
	return out
}
