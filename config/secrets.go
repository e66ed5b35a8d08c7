package config

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/internal/redact"
)

// What counts as a secret (Config.Secrets), decided once here so the
// journal, the artifacts, every formatter and the screen hide the same
// strings:
//
//   - every value a ${VAR} reference expanded, whatever it is used for
//     (so any ${VAR} in an actuator's argv is refused: it goes in env);
//   - the password of every URL the config names (runtimes, Prometheus,
//     HTTP actuators, webhooks) or reads (database url_env / url_file);
//   - every query value of those URLs: one of minSecretLen bytes or more
//     wherever it appears, a shorter one as its name=value pair (a short
//     value such as "1" cannot be hidden everywhere without hiding digits);
//   - a webhook URL's path (a Slack webhook's path is its token);
//   - header values sent to the runtimes, Prometheus and HTTP actuators,
//     and basic auth passwords;
//   - what the secret files and variables the config names hold when it
//     is loaded (signature secret, database URLs, identity tokens, bearer
//     token file); a token rotated later is hidden by the Bearer pattern.
//
// Each is also registered as URL-, path- and JSON-escaped, the forms in
// which an error or a JSON encoder may print it.

// minSecretLen is the shortest query value hidden wherever it appears.
const minSecretLen = 8

// secretSet collects secrets in their printed forms, each once.
type secretSet struct{ r *redact.Redactor }

func newSecretSet(values ...string) secretSet {
	s := secretSet{r: redact.NewRedactor()}
	s.add(values...)
	return s
}

// add registers each value with the forms it takes once escaped.
func (s secretSet) add(values ...string) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		quoted, _ := json.Marshal(v)
		s.r.Add(v, url.QueryEscape(v), url.PathEscape(v), strings.Trim(string(quoted), `"`))
	}
}

// addURL registers what authenticates in a URL: its password and its
// query values, as written and decoded. withPath adds the path too.
func (s secretSet) addURL(raw string, withPath bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return
	}
	if pw, ok := u.User.Password(); ok {
		s.add(pw)
		if i := strings.Index(u.User.String(), ":"); i >= 0 {
			s.add(u.User.String()[i+1:])
		}
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		name, value, _ := strings.Cut(pair, "=")
		decoded, err := url.QueryUnescape(value)
		if err != nil {
			decoded = value
		}
		switch {
		case value == "":
		case len(decoded) >= minSecretLen:
			s.add(decoded, value)
		default:
			s.add(name + "=" + value)
		}
	}
	if withPath && len(u.Path) > 1 {
		s.add(u.Path, u.EscapedPath())
	}
}

// addHeaders registers header values (API keys, Authorization).
func (s secretSet) addHeaders(h map[string]string) {
	for _, v := range h {
		s.add(v)
	}
}

// collectSecrets is every secret the config names or can read, beside the
// expanded values already in s (see the list above).
func (c *Config) collectSecrets(s secretSet, lookupEnv func(string) (string, bool)) {
	fromEnv := func(name string) string {
		if name == "" {
			return ""
		}
		v, _ := lookupEnv(name)
		return v
	}
	for _, t := range c.Notify.Targets {
		s.add(t.URL)
		s.addURL(t.URL, true)
	}
	for _, env := range c.Environments {
		if env == nil {
			continue
		}
		p := env.Prometheus
		s.addURL(p.URL, false)
		s.addHeaders(p.Headers)
		if p.BasicAuth != nil {
			s.add(string(p.BasicAuth.Password))
		}
		s.addURL(env.RustRuntime.URL, false)
		s.addHeaders(env.RustRuntime.Headers)
		s.addURL(env.LegacyRuntime.URL, false)
		s.addHeaders(env.LegacyRuntime.Headers)
		s.add(fromEnv(env.LegacyRuntime.SignatureSecretEnv))
		for _, dbURL := range []string{fromEnv(env.Database.URLEnv), fromEnv(env.SharedTimeline.URLEnv)} {
			s.add(dbURL)
			s.addURL(dbURL, false)
		}
		for _, a := range env.allActions() {
			if a != nil && a.HTTP != nil {
				s.addURL(a.HTTP.URL, false)
				s.addHeaders(a.HTTP.Headers)
			}
		}
	}
}

// readSecretFiles registers what the secret files the config names hold
// now, read bounded (a named pipe or a hung mount must not hold the load).
// A file that cannot be read is skipped here: whoever needs it says so.
func (c *Config) readSecretFiles(s secretSet) {
	read := func(path string) string {
		if path == "" {
			return ""
		}
		b, _, err := boundedfile.Read(context.Background(), path, boundedfile.Options{MaxBytes: 64 << 10})
		if err != nil {
			return ""
		}
		return string(b)
	}
	for _, env := range c.Environments {
		if env == nil {
			continue
		}
		s.add(read(env.LegacyRuntime.SignatureSecretFile), read(env.RustRuntime.IDTokenFile),
			read(env.LegacyRuntime.IDTokenFile), read(env.Prometheus.BearerTokenFile))
		if b := env.Prometheus.BasicAuth; b != nil {
			s.add(read(b.PasswordFile))
		}
		for _, dbURL := range []string{read(env.Database.URLFile), read(env.SharedTimeline.URLFile)} {
			s.add(dbURL)
			s.addURL(dbURL, false)
		}
	}
}

// allActions are every action of env: the actuators, the parity capture
// and harness.
func (env *Environment) allActions() []*Action {
	out := []*Action{env.Parity.Capture, &env.Parity.Harness}
	for _, a := range env.actuators() {
		out = append(out, a.action)
	}
	return out
}

// refMarker stands for a ${VAR} reference in a second decode of the file
// that only reads argv: a name cannot hold '-', so the marker is exact.
var refMarker = regexp.MustCompile(`cockpit-secret-ref-([A-Za-z_][A-Za-z0-9_]*)-`)

// argvOnly is the part of the file validateArgvRefs reads.
type argvOnly struct {
	Environments map[string]*struct {
		Actuators map[string]*struct {
			Argv []string `yaml:"argv"`
		} `yaml:"actuators"`
		Parity struct {
			Capture *struct {
				Argv []string `yaml:"argv"`
			} `yaml:"capture"`
			Harness struct {
				Argv []string `yaml:"argv"`
			} `yaml:"harness"`
		} `yaml:"parity"`
	} `yaml:"environments"`
}

// validateArgvRefs refuses a ${VAR} in any argv: every expanded value is a
// secret, and an argv is what ps shows every user of the machine and what
// the plan, the confirm dialog and the journal print. The file is decoded
// again with each reference replaced by a marker, so each argv element
// that held one is found exactly, whatever the value it expands to.
func validateArgvRefs(raw []byte, e *ValidationError) {
	if !envRef.Match(raw) {
		return // no ${VAR} anywhere: no second decode
	}
	marked := replaceRefs(raw, func(name string, _ int) string { return "cockpit-secret-ref-" + name + "-" })
	var doc argvOnly
	if yaml.Unmarshal(marked, &doc) != nil {
		return // the real decode has said what is wrong
	}
	for _, envName := range sortedKeys(doc.Environments) {
		env := doc.Environments[envName]
		if env == nil {
			continue
		}
		p := "$.environments." + envName
		for _, name := range sortedKeys(env.Actuators) {
			if a := env.Actuators[name]; a != nil {
				refuseArgvRefs(e, p+".actuators."+name, a.Argv)
			}
		}
		if env.Parity.Capture != nil {
			refuseArgvRefs(e, p+".parity.capture", env.Parity.Capture.Argv)
		}
		refuseArgvRefs(e, p+".parity.harness", env.Parity.Harness.Argv)
	}
}

// refuseArgvRefs adds a problem for each argv element of the action at p
// that holds a ${VAR}, naming the env entry that replaces it.
func refuseArgvRefs(e *ValidationError, p string, argv []string) {
	short := strings.TrimPrefix(p, "$.")
	for i, arg := range argv {
		for _, m := range refMarker.FindAllStringSubmatch(arg, -1) {
			e.add(fmt.Sprintf("%s.argv[%d]", p, i),
				"holds ${%s}, a secret: pass it in %s.env instead (env: {%s: \"${%s}\"}) and have the command read it from its environment;"+
					" an argument is visible to every user of the machine (ps)", m[1], short, m[1], m[1])
		}
	}
}
