package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"

	"github.com/prometheus/prometheus/promql/parser"
)

// promql parses queries with the options Prometheus servers use by default.
var promql = parser.NewParser(parser.Options{})

var units = map[string]bool{"ratio": true, "count": true, "events": true, "bool": true, "percent": true, "seconds": true}

var policies = map[Policy]bool{PolicyHold: true, PolicyFail: true, PolicyPass: true, PolicyKeepLast: true}

func (c *Config) validate(e *ValidationError) {
	if c.QueryTimeout >= c.Refresh {
		e.add("$.query_timeout", "%s must be below refresh (%s), or queries overlap", c.QueryTimeout, c.Refresh)
	}
	if len(c.Environments) == 0 {
		e.add("$.environments", "no environments: add at least one (e.g. staging)")
	}
	for _, name := range sortedKeys(c.Environments) {
		env := c.Environments[name]
		p := "$.environments." + name
		if env == nil {
			e.add(p, "is empty")
			continue
		}
		if !envName.MatchString(name) {
			e.add(p, "environment name %q must be lowercase letters, digits, - or _", name)
		}
		env.validate(e, p)
	}
	validateSignals(e, "$.signals", c.Signals)
	for _, name := range sortedKeys(c.Incidents) {
		inc := c.Incidents[name]
		p := "$.incidents." + name
		if inc == nil {
			e.add(p, "is empty")
			continue
		}
		if _, ok := c.Signals[inc.Signal]; !ok {
			e.add(p+".signal", "signal %q is not defined (known: %v)", inc.Signal, sortedKeys(c.Signals))
		}
		if (inc.Above == nil) == (inc.Below == nil) {
			e.add(p, "needs exactly one of above or below")
		}
		switch inc.Runbook {
		case "I1", "I2", "I3":
		default:
			e.add(p+".runbook", "%q is not a runbook incident criterion (I1, I2 or I3)", inc.Runbook)
		}
	}
}

func (env *Environment) validate(e *ValidationError, p string) {
	checkURL(e, p+".prometheus.url", env.Prometheus.URL)
	checkURL(e, p+".rust_runtime.url", env.RustRuntime.URL)
	checkURL(e, p+".legacy_runtime.url", env.LegacyRuntime.URL)
	if env.Parity.Reports != "" {
		if _, err := filepath.Match(env.Parity.Reports, ""); err != nil {
			e.add(p+".parity.reports", "%q is not a valid glob: %v", env.Parity.Reports, err)
		}
	}
	if len(env.Parity.Harness.Argv) > 0 || env.Parity.Harness.HTTP != nil {
		validateAction(e, p+".parity.harness", &env.Parity.Harness, HarnessValues{Env: env.Name, OutputDir: "/tmp"})
	}
	a := env.Actuators
	validateAction(e, p+".actuators.set_rust_write_mode", a.SetRustWriteMode, WriteModeValues{Env: env.Name, Mode: "rust_active"})
	validateAction(e, p+".actuators.set_legacy_freeze", a.SetLegacyFreeze, FreezeValues{Env: env.Name, Freeze: true})
	validateAction(e, p+".actuators.route_writes", a.RouteWrites, RouteValues{Env: env.Name, Target: "rust"})
	validateAction(e, p+".actuators.set_cohort", a.SetCohort, CohortValues{Env: env.Name, Percent: 5})
	prev := 0
	for i, c := range env.Cohorts {
		if c <= prev || c > 100 {
			e.add(fmt.Sprintf("%s.cohorts[%d]", p, i), "cohorts must rise strictly within 1–100 (got %v)", env.Cohorts)
			break
		}
		prev = c
	}
	if len(env.Cohorts) > 0 && env.Cohorts[len(env.Cohorts)-1] != 100 {
		e.add(p+".cohorts", "the last cohort must be 100 so the rollout ends with every write on rust (got %v)", env.Cohorts)
	}
	validateSignals(e, p+".signals", env.Signals)
}

// validateAction checks an actuator renders with its own closed set of values.
// A missing actuator is allowed here: watch and check need none, and the
// executor refuses a step whose actuator is not configured.
func validateAction(e *ValidationError, p string, a *Action, sample any) {
	if a == nil {
		return
	}
	switch {
	case len(a.Argv) > 0 && a.HTTP != nil:
		e.add(p, "has both argv and http: choose one")
	case len(a.Argv) == 0 && a.HTTP == nil:
		e.add(p, "needs argv or http")
	case len(a.Argv) > 0:
		if a.Argv[0] == "" {
			e.add(p+".argv", "argv[0] is empty: name the program to run")
		}
		if _, err := RenderAll(a.Argv, sample); err != nil {
			e.add(p+".argv", "%v (template fields allowed here: %s)", err, templateFields(sample))
		}
	default:
		checkURL(e, p+".http.url", a.HTTP.URL)
		for _, s := range []string{a.HTTP.URL, a.HTTP.Body} {
			if _, err := Render(s, sample); err != nil {
				e.add(p+".http", "%v (template fields allowed here: %s)", err, templateFields(sample))
			}
		}
	}
}

func templateFields(sample any) string {
	switch sample.(type) {
	case WriteModeValues:
		return "{{.Env}} {{.Mode}}"
	case FreezeValues:
		return "{{.Env}} {{.Freeze}}"
	case RouteValues:
		return "{{.Env}} {{.Target}}"
	case CohortValues:
		return "{{.Env}} {{.Percent}}"
	case HarnessValues:
		return "{{.Env}} {{.OutputDir}}"
	}
	return "{{.Env}}"
}

func validateSignals(e *ValidationError, p string, signals map[string]*Signal) {
	for _, name := range sortedKeys(signals) {
		s := signals[name]
		sp := p + "." + name
		if s == nil {
			continue
		}
		if s.Query == "" {
			e.add(sp+".query", "is empty: write the PromQL for %s", name)
		} else if _, err := promql.ParseExpr(s.Query); err != nil {
			e.add(sp+".query", "is not valid PromQL: %v", err)
		}
		if s.VolumeQuery != "" {
			if _, err := promql.ParseExpr(s.VolumeQuery); err != nil {
				e.add(sp+".volume_query", "is not valid PromQL: %v", err)
			}
		}
		if !units[s.Unit] {
			e.add(sp+".unit", "%q is not a unit (ratio, count, events, bool, percent, seconds)", s.Unit)
		}
		if s.Direction != "above" && s.Direction != "below" {
			e.add(sp+".direction", "%q must be above or below", s.Direction)
		}
		if !policies[s.OnNoData] {
			e.add(sp+".on_no_data", "%q must be hold, fail, pass or keep_last", s.OnNoData)
		}
		if !policies[s.OnError] {
			e.add(sp+".on_error", "%q must be hold, fail, pass or keep_last", s.OnError)
		}
		if s.Series != "one" && s.Series != "any" {
			e.add(sp+".series", "%q must be one or any", s.Series)
		}
		if s.Warn != nil && s.Crit != nil {
			if (s.Direction == "above" && *s.Warn > *s.Crit) || (s.Direction == "below" && *s.Warn < *s.Crit) {
				e.add(sp+".warn", "warn %v is past crit %v for direction %s", *s.Warn, *s.Crit, s.Direction)
			}
		}
	}
}

func checkURL(e *ValidationError, p, raw string) {
	if raw == "" {
		e.add(p, "is empty: set the URL (e.g. http://127.0.0.1:9090)")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.add(p, "%q is not an http(s) URL", raw)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
