package notify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/template"

	"github.com/openagents/cockpit/internal/safetext"
)

// defaultTexts are the messages of a target without a template, one
// template per kind; renderText puts the environment in front. Parsed on
// first use, not at the start of every cockpit process (most send nothing).
var defaultTexts = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Parse(defaultTextsSrc))
})

const defaultTextsSrc = `
{{- define "action.started"}}{{.Step}} started by {{.Operator}}{{end}}
{{- define "action.done"}}{{.Step}} done by {{.Operator}}{{with .Message}} — {{.}}{{end}}{{end}}
{{- define "action.failed"}}{{.Step}} FAILED ({{.Operator}}){{with .Message}} — {{.}}{{end}}{{end}}
{{- define "override"}}{{.Operator}} overrode the gates of {{.Step}}: {{.Reason}}{{end}}
{{- define "rollback.started"}}ROLLBACK started by {{.Operator}}{{end}}
{{- define "rollback.done"}}rollback {{if eq .Verdict "OK"}}done{{else}}FAILED{{end}} ({{.Operator}}){{with .Message}} — {{.}}{{end}}{{end}}
{{- define "incident.pending"}}incident {{.Check}} pending{{with .Message}} — {{.}}{{end}}{{end}}
{{- define "incident.firing"}}incident {{.Check}} FIRING{{with .Message}} — {{.}}{{end}}{{end}}
{{- define "incident.resolved"}}incident {{.Check}} resolved{{with .Message}} — {{.}}{{end}}{{end}}
{{- define "lock.taken"}}lock taken by {{.Operator}}{{with .Message}} ({{.}}){{end}}{{end}}
{{- define "guard.advised"}}guard: {{.Message}}{{end}}
{{- define "guard.countdown"}}guard: {{.Message}}{{end}}
{{- define "guard.holding"}}guard: {{.Message}}{{end}}
{{- define "guard.cancelled"}}guard: {{.Message}}{{end}}
{{- define "guard.acted"}}guard: {{.Message}}{{end}}
{{- define "lock.released"}}{{if eq .Verdict "LOST"}}lock LOST ({{.Operator}}{{with .Step}}, {{.}}{{end}}){{with .Message}} — {{.}}{{end}}{{else}}lock released by {{.Operator}}{{with .Message}} ({{.}}){{end}}{{end}}{{end}}
`

// maxText bounds a rendered message: a template that loops cannot flood a
// channel or the memory.
const maxText = 8 << 10

var errTooLong = fmt.Errorf("renders more than %d bytes", maxText)

// text renders an event's message with a target's template, or with the
// default of the event's kind when it has none.
type text struct{ custom *template.Template }

// newText parses src and renders it once, so that a field the Event does
// not have is a config error, not a failure during the cutover.
func newText(src string) (text, error) {
	if src == "" {
		return text{}, nil
	}
	t, err := template.New("template").Option("missingkey=error").Parse(src)
	if err != nil {
		return text{}, err
	}
	if err := t.Execute(&capped{max: maxText}, Event{Kind: KindActionStarted}); err != nil {
		return text{}, err
	}
	return text{custom: t}, nil
}

func (t text) render(e Event) (string, error) {
	var b strings.Builder
	w := &capped{w: &b, max: maxText}
	var err error
	if t.custom != nil {
		err = t.custom.Execute(w, e)
	} else {
		if e.Env != "" {
			_, _ = io.WriteString(w, "["+e.Env+"] ")
		}
		err = defaultTexts().ExecuteTemplate(w, e.Kind, e)
	}
	if err != nil {
		return "", fmt.Errorf("rendering the %s message: %w", e.Kind, err)
	}
	return b.String(), nil
}

// capped writes to w (nowhere when nil) until max bytes, then fails.
type capped struct {
	w   io.Writer
	max int
	n   int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.n += len(p); c.n > c.max {
		return 0, errTooLong
	}
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}

// body is what a target posts for e. Every value is cleaned to one
// screen-safe line first; in a Slack body it is escaped too, so a value
// cannot become a mention (<!channel>) or a link.
func body(format string, t text, e Event) ([]byte, error) {
	e = mapStrings(e, safetext.Clean)
	if format == FormatJSON {
		msg, err := t.render(e)
		if err != nil {
			return nil, err
		}
		return json.Marshal(struct {
			Event
			Text string `json:"text"`
		}{e, msg})
	}
	msg, err := t.render(mapStrings(e, slackEscape.Replace))
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Text string `json:"text"`
	}{msg})
}

// slackEscape is the escaping Slack asks of text that is not markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mapStrings applies f to every string field of e but its Kind.
func mapStrings(e Event, f func(string) string) Event {
	for _, s := range []*string{&e.Env, &e.Operator, &e.Host, &e.Step, &e.Check, &e.Verdict, &e.Message, &e.Reason} {
		*s = f(*s)
	}
	return e
}
