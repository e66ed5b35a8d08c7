package notify_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/notify"
)

const secretPath = "/services/T0CUTOVER/B0NOTIFY/xoxSecretToken42"
const secretQuery = "sig=QuerySecret99"

// secrets are the parts of a webhook URL no text may repeat.
var secrets = []string{"T0CUTOVER", "xoxSecretToken42", "QuerySecret99"}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks %q: %s", what, s, text)
		}
	}
}

func TestConfigDecodesFromYAML(t *testing.T) {
	src := `
targets:
  - name: ops-slack
    url: https://hooks.slack.com` + secretPath + `
    format: slack
    events: [action.failed, rollback.started]
    timeout: 2s
    template: "{{.Kind}} in {{.Env}}"
queue_size: 10
`
	var c notify.Config
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := notify.Validate(c); err != nil {
		t.Fatal(err)
	}
	got := c.Targets[0]
	if got.Timeout != 2*time.Second || c.QueueSize != 10 || len(got.Events) != 2 || got.Template == "" {
		t.Fatalf("decoded %+v (queue %d)", got, c.QueueSize)
	}
	if s := got.String(); s != "ops-slack (slack to https://hooks.slack.com/[REDACTED])" {
		t.Errorf("String() = %q", s)
	}
	assertNoSecret(t, "%v of a target", fmt.Sprintf("%v %+v", got, c))

	// "5" could mean seconds or nanoseconds: refused, like the rest of the config.
	if err := yaml.Unmarshal([]byte("targets: [{name: x, timeout: 5}]"), &c); err == nil {
		t.Error("a bare number was accepted as a timeout")
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	good := notify.Target{Name: "ops", URL: "https://hooks.example" + secretPath, Format: "slack", Events: []string{"override"}}
	cases := []struct {
		name   string
		edit   func(*notify.Target)
		path   string
		saying string
	}{
		{"unknown event", func(t *notify.Target) { t.Events = []string{"override", "action.start"} },
			"targets[0].events[1]", `"action.start" is not an event (want one of action.started, action.done, action.failed, override, rollback.started, rollback.done, incident.pending, incident.firing, incident.resolved, lock.taken, lock.released, guard.advised, guard.countdown, guard.holding, guard.cancelled, guard.acted)`},
		{"no events", func(t *notify.Target) { t.Events = nil }, "targets[0].events", "no events: list the ones this target is told"},
		{"resolved without firing", func(t *notify.Target) { t.Events = []string{"incident.pending", "incident.resolved"} },
			"targets[0].events", "incident.resolved without incident.firing: an incident is told resolved only after it was told firing; add incident.firing"},
		{"unknown format", func(t *notify.Target) { t.Format = "teams" }, "targets[0].format", `"teams" is not a format (want slack or json)`},
		{"no format", func(t *notify.Target) { t.Format = "" }, "targets[0].format", `"" is not a format`},
		{"ftp URL", func(t *notify.Target) { t.URL = "ftp://files.example" + secretPath }, "targets[0].url", "ftp://files.example/[REDACTED] is not http or https"},
		{"no URL", func(t *notify.Target) { t.URL = "" }, "targets[0].url", "missing"},
		{"relative URL", func(t *notify.Target) { t.URL = secretPath }, "targets[0].url", "[REDACTED] is not http or https"},
		{"no host", func(t *notify.Target) { t.URL = "https://" + secretPath }, "targets[0].url", "[REDACTED] has no host"},
		{"no name", func(t *notify.Target) { t.Name = "" }, "targets[0].name", "missing"},
		{"negative timeout", func(t *notify.Target) { t.Timeout = -time.Second }, "targets[0].timeout", "-1s is negative"},
		{"template that does not parse", func(t *notify.Target) { t.Template = "{{.Step" }, "targets[0].template", "unclosed action"},
		{"template with a field events lack", func(t *notify.Target) { t.Template = "{{.Stepp}}" }, "targets[0].template", "can't evaluate field Stepp"},
		{"template that floods", func(t *notify.Target) { t.Template = "{{range 100000}}{{$.Kind}}{{end}}" }, "targets[0].template", "renders more than 8192 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := good
			c.edit(&target)
			err := notify.Validate(notify.Config{Targets: []notify.Target{target}})
			var verr *notify.ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 {
				t.Fatalf("Validate() = %v, want one problem", err)
			}
			if p := verr.Problems[0]; p.Path != c.path || !strings.Contains(p.Msg, c.saying) {
				t.Errorf("problem %s: %s\nwant %s: …%s…", p.Path, p.Msg, c.path, c.saying)
			}
			if !strings.HasPrefix(err.Error(), "notify."+c.path+": ") {
				t.Errorf("error %q does not start with its path", err)
			}
			assertNoSecret(t, "validation error", err.Error())
			if _, err := notify.New(notify.Config{Targets: []notify.Target{target}}, notify.Options{}); err == nil {
				t.Error("New accepted a config Validate refuses")
			}
		})
	}
}

func TestValidateListsAllProblemsAtOnce(t *testing.T) {
	c := notify.Config{QueueSize: -1, Targets: []notify.Target{
		{Name: "a", URL: "https://h.example/x", Format: "json", Events: []string{"override"}},
		{Name: "a", URL: "mailto:ops@example.com", Format: "xml"},
	}}
	err := notify.Validate(c)
	var verr *notify.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate() = %v", err)
	}
	var paths []string
	for _, p := range verr.Problems {
		paths = append(paths, p.Path)
	}
	want := "queue_size targets[1].name targets[1].url targets[1].format targets[1].events"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("problems at %s, want %s\n%v", got, want, err)
	}
	if err := notify.Validate(notify.Config{}); err != nil {
		t.Errorf("an empty config (no targets) is refused: %v", err)
	}
}

// TestConfigParseNamesNotifyProblemsWithTheirLine: the notify: section is
// plain data in config, and its check registered from here still reaches
// `cockpit config validate` with the file:line of the bad key, secrets kept out.
func TestConfigParseNamesNotifyProblemsWithTheirLine(t *testing.T) {
	src := `environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    actuators:
      set_rust_write_mode: {argv: [tool, "{{.Mode}}"]}
notify:
  targets:
    - name: ops
      url: https://hooks.example` + secretPath + `
      format: slack
      events: [override]
      template: "{{.Stepp}}"
`
	_, err := config.Parse("c.yaml", []byte(src), func(string) (string, bool) { return "", false })
	var verr *config.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Parse = %v, want a ValidationError", err)
	}
	if !strings.Contains(err.Error(), "c.yaml:14: notify.targets[0].template: ") || !strings.Contains(err.Error(), "can't evaluate field Stepp") {
		t.Errorf("error %q does not name the template's line and problem", err)
	}
	assertNoSecret(t, "config error", err.Error())
}
