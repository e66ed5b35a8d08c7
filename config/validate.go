package config

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// promql parses queries with the options Prometheus servers use by default.
var promql = parser.NewParser(parser.Options{})

var units = map[string]bool{"ratio": true, "count": true, "events": true, "bool": true, "percent": true, "seconds": true}

var policies = map[Policy]bool{PolicyHold: true, PolicyFail: true, PolicyKeepLast: true}

// A Check validates one feature's block of a parsed config (notify's
// templates render, its events exist), returning problems at YAML paths
// ($.notify.targets[0].template) that Parse locates like its own.
type Check func(*Config) []Problem

// blockChecks are the feature packages' checks, in registration order.
var blockChecks []Check

// RegisterCheck adds a feature's check to every Parse and Load. A feature
// package registers from its init (as image formats and sql drivers do),
// so that config, the leaf, imports no feature: a program that links the
// feature validates its block.
func RegisterCheck(c Check) { blockChecks = append(blockChecks, c) }

func (c *Config) validate(e *ValidationError) {
	if c.QueryTimeout >= c.Refresh {
		e.add("$.query_timeout", "%s must be below refresh (%s), or queries overlap", c.QueryTimeout, c.Refresh)
	}
	if len(c.Environments) == 0 {
		e.add("$.environments", "no environments: add at least one (e.g. staging)")
	}
	for _, check := range blockChecks {
		e.Problems = append(e.Problems, check(c)...)
	}
	for _, name := range sortedKeys(c.Environments) {
		env := c.Environments[name]
		p := "$.environments." + name
		if env == nil {
			e.add(p, "is empty")
			continue
		}
		if !envName().MatchString(name) {
			e.add(p, "environment name %q must be lowercase letters, digits, - or _", name)
		}
		env.validate(e, p)
		c.validateGuard(e, p, env)
	}
	validateSignals(e, "$.signals", c.Signals)
	c.validateRemovals(e)
	for _, name := range sortedKeys(c.Incidents) {
		inc := c.Incidents[name]
		p := "$.incidents." + name
		if inc == nil {
			e.add(p, "is empty")
			continue
		}
		c.validateIncident(e, p, inc)
	}
	c.validateSeparation(e)
	c.validateTeam(e)
	c.refuseZeros(e)
}

// validateIncident checks what an incident judges, its threshold and its
// runbook criterion.
func (c *Config) validateIncident(e *ValidationError, p string, inc *Incident) {
	judges := 0
	for _, set := range []bool{inc.Signal != "", inc.Authority != nil, inc.Source != ""} {
		if set {
			judges++
		}
	}
	if judges != 1 {
		e.add(p, "needs exactly one of signal, authority or source (it has %d): say what the incident judges", judges)
	}
	if inc.Signal != "" {
		c.checkSignalDefined(e, p+".signal", inc.Signal)
	}
	if a := inc.Authority; a != nil {
		if a.Rust == "" {
			e.add(p+".authority", "needs rust: the signal that judges the rust runtime while it accepts writes")
		} else {
			c.checkSignalDefined(e, p+".authority.rust", a.Rust)
		}
		if a.Legacy == "" {
			e.add(p+".authority", "needs legacy: the signal that judges the legacy runtime while it accepts writes")
		} else {
			c.checkSignalDefined(e, p+".authority.legacy", a.Legacy)
		}
	}
	switch inc.Source {
	case "", SourceParityReports, SourceRustCheckpoints:
	default:
		e.add(p+".source", "%q is not a source: use %s or %s", inc.Source, SourceParityReports, SourceRustCheckpoints)
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

// checkSignalDefined refuses an incident's signal that some environment
// would not have: global signals reach every environment, an environment's
// own signals only that one.
func (c *Config) checkSignalDefined(e *ValidationError, p, name string) {
	if _, ok := c.Signals[name]; ok {
		return
	}
	var lacking []string
	for _, env := range sortedKeys(c.Environments) {
		if c.Environments[env] == nil {
			continue
		}
		if _, ok := c.Environments[env].Signals[name]; !ok {
			lacking = append(lacking, env)
		}
	}
	if len(lacking) == 0 && len(c.Environments) > 0 {
		return
	}
	if removed := c.removedIn(name); len(removed) > 0 {
		e.add(p, "%s", removedIncidentSignal(name, removed))
		return
	}
	if len(lacking) < len(c.Environments) {
		e.add(p, "signal %q is not defined in %s: define it under signals, or in every environment", name, strings.Join(lacking, ", "))
		return
	}
	e.add(p, "signal %q is not defined (known: %v)", name, sortedKeys(c.Signals))
}

func (env *Environment) validate(e *ValidationError, p string) {
	checkURL(e, p+".prometheus.url", env.Prometheus.URL)
	checkURL(e, p+".rust_runtime.url", env.RustRuntime.URL)
	checkURL(e, p+".legacy_runtime.url", env.LegacyRuntime.URL)
	if env.Dashboard != "" {
		checkURL(e, p+".dashboard", env.Dashboard)
	}
	checkPath(e, p+".rust_runtime.health_path", env.RustRuntime.HealthPath)
	checkPath(e, p+".rust_runtime.ready_path", env.RustRuntime.ReadyPath)
	checkPath(e, p+".legacy_runtime.health_path", env.LegacyRuntime.HealthPath)
	checkHeaders(e, p+".rust_runtime", env.RustRuntime.Headers, env.RustRuntime.IDTokenFile)
	checkHeaders(e, p+".legacy_runtime", env.LegacyRuntime.Headers, env.LegacyRuntime.IDTokenFile)
	if env.Parity.Reports != "" {
		if _, err := filepath.Match(env.Parity.Reports, ""); err != nil {
			e.add(p+".parity.reports", "%q is not a valid glob: %v", env.Parity.Reports, err)
		}
	}
	if len(env.Parity.Harness.Argv) > 0 || env.Parity.Harness.HTTP != nil {
		validateAction(e, p+".parity.harness", &env.Parity.Harness, env.harnessSample())
	}
	validateAction(e, p+".parity.capture", env.Parity.Capture, env.harnessSample())
	for _, a := range env.actuators() {
		validateAction(e, p+".actuators."+a.name, a.action, a.sample)
	}
	env.checkProbesApart(e, p)
	if env.LowTraffic != LowTrafficHold && env.LowTraffic != LowTrafficProceed {
		e.add(p+".low_traffic", "%q must be hold or proceed", env.LowTraffic)
	}
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

// namedAction is one of an environment's actuators with the sample values
// it is validated (and compared across environments) with.
type namedAction struct {
	name   string
	action *Action
	sample any
}

func (env *Environment) actuators() []namedAction {
	a := env.Actuators
	return []namedAction{
		{"set_rust_write_mode", a.SetRustWriteMode, WriteModeValues{Env: env.Name, Mode: "rust_active"}},
		{"set_legacy_freeze", a.SetLegacyFreeze, FreezeValues{Env: env.Name, Freeze: true}},
		{"route_writes", a.RouteWrites, RouteValues{Env: env.Name, Target: "rust"}},
		{"set_cohort", a.SetCohort, CohortValues{Env: env.Name, Percent: 5}},
	}
}

func (env *Environment) harnessSample() HarnessValues {
	return HarnessValues{Env: env.Name, OutputDir: "/tmp", Report: "/tmp/parity-report.json", CaptureDir: "/tmp/capture"}
}

// validateSeparation refuses a production actuator that does exactly what
// the same actuator of a non-production environment does: one of the two
// would act on the other's system.
func (c *Config) validateSeparation(e *ValidationError) {
	for _, prodName := range sortedKeys(c.Environments) {
		prod := c.Environments[prodName]
		if prod == nil || !prod.Production {
			continue
		}
		for _, otherName := range sortedKeys(c.Environments) {
			other := c.Environments[otherName]
			if other == nil || other.Production {
				continue
			}
			theirs := other.actuators()
			for i, mine := range prod.actuators() {
				if sameCall(mine, theirs[i]) {
					e.add(fmt.Sprintf("$.environments.%s.actuators.%s", prodName, mine.name),
						"actuators.%s is identical to %s's: a production step would act on %s (or the reverse); give each environment its own target (e.g. --project)",
						mine.name, otherName, otherName)
				}
			}
		}
	}
}

// sameCall reports whether two actuators, rendered with their own
// environment's values, would run the same command or send the same request.
func sameCall(a, b namedAction) bool {
	if a.action == nil || b.action == nil {
		return false
	}
	x, y := a.action, b.action
	switch {
	case len(x.Argv) > 0 && len(y.Argv) > 0:
		rx, errx := RenderAll(x.Argv, a.sample)
		ry, erry := RenderAll(y.Argv, b.sample)
		return errx == nil && erry == nil && slices.Equal(rx, ry)
	case x.HTTP != nil && y.HTTP != nil:
		render := func(h *HTTPAction, sample any) (string, bool) {
			u, err1 := Render(h.URL, sample)
			body, err2 := Render(h.Body, sample)
			return strings.ToUpper(h.Method) + " " + u + "\n" + body, err1 == nil && err2 == nil
		}
		rx, okx := render(x.HTTP, a.sample)
		ry, oky := render(y.HTTP, b.sample)
		return okx && oky && rx == ry && maps.Equal(x.HTTP.Headers, y.HTTP.Headers)
	}
	return false
}

// validateAction checks an actuator renders with its own closed set of values.
// A missing actuator is allowed here: watch and check need none, and the
// executor refuses a step whose actuator is not configured.
func validateAction(e *ValidationError, p string, a *Action, sample any) {
	if a == nil {
		return
	}
	validateActionEnv(e, p, a)
	switch {
	case len(a.Argv) > 0 && a.HTTP != nil:
		e.add(p, "has both argv and http: choose one")
	case len(a.Argv) == 0 && a.HTTP == nil:
		e.add(p, "needs argv or http")
	case len(a.Argv) > 0:
		if a.Argv[0] == "" {
			e.add(p+".argv[0]", "argv[0] is empty: name the program to run")
		}
		for i, arg := range a.Argv {
			if _, err := Render(arg, sample); err != nil {
				e.add(fmt.Sprintf("%s.argv[%d]", p, i), "%q: %v (template fields allowed here: %s)", arg, err, templateFields(sample))
			}
		}
		if filepath.Base(a.Argv[0]) == "gcloud" && !hasProject(a.Argv) {
			e.add(p+".argv", "gcloud without --project: it would act on gcloud's default project, so a staging step could change production (or the reverse); add --project=<project>")
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

// envVarName is a name a command's environment can carry.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validateActionEnv checks an action's env: names a shell could read, no
// NUL (the environment block cannot carry it), and only beside an argv.
func validateActionEnv(e *ValidationError, p string, a *Action) {
	if len(a.Env) > 0 && a.HTTP != nil {
		e.add(p+".env", "env is given to a command: an HTTP actuator sends its secrets in http.headers")
	}
	for _, k := range sortedKeys(a.Env) {
		switch {
		case !envVarName.MatchString(k):
			e.add(p+".env", "%q is not an environment variable name (letters, digits and _, not starting with a digit)", k)
		case strings.ContainsRune(a.Env[k], 0):
			e.add(p+".env."+k, "the value of %s contains a NUL byte, which an environment cannot carry", k)
		}
	}
}

// hasProject reports whether a gcloud argv names its project, as
// "--project X" or "--project=X".
func hasProject(argv []string) bool {
	for i, a := range argv[1:] {
		if (a == "--project" && i+2 < len(argv) && argv[i+2] != "") || (strings.HasPrefix(a, "--project=") && a != "--project=") {
			return true
		}
	}
	return false
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
		return "{{.Env}} {{.OutputDir}} {{.Report}} {{.CaptureDir}}"
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
		if !s.Direction.Valid() {
			e.add(sp+".direction", "%q must be above or below", s.Direction)
		}
		checkPolicy(e, sp+".on_no_data", s.OnNoData)
		checkPolicy(e, sp+".on_error", s.OnError)
		validateAbsence(e, sp, s)
		if s.Series != "one" && s.Series != "any" {
			e.add(sp+".series", "%q must be one or any", s.Series)
		}
		if s.Warn != nil && s.Crit != nil {
			if s.Direction.Valid() && s.Direction.Worse(*s.Warn, *s.Crit) {
				e.add(sp+".warn", "warn %v is past crit %v for direction %s", *s.Warn, *s.Crit, s.Direction)
			}
		}
	}
}

// checkPolicy refuses an unknown policy, and "pass", which read silence
// as green: a counter that appears with its first event says so with
// first_event, a signal the deployment lacks with required: false.
func checkPolicy(e *ValidationError, p string, pol Policy) {
	switch {
	case pol == "pass":
		e.add(p, "pass is no longer a policy: no data is never green; for a counter created by its first event set first_event: {up: ...}, for a signal this deployment lacks set required: false with a reason")
	case !policies[pol]:
		e.add(p, "%q must be hold, fail or keep_last", pol)
	}
}

// validateAbsence checks how a signal says what its absence means.
func validateAbsence(e *ValidationError, sp string, s *Signal) {
	if s.FirstEvent != nil {
		if s.FirstEvent.Up == "" {
			e.add(sp+".first_event.up", "is empty: name the exporter's scrape health, e.g. up{job=\"legacy-runtime\"}")
		} else if _, err := promql.ParseExpr(s.FirstEvent.Up); err != nil {
			e.add(sp+".first_event.up", "is not valid PromQL: %v", err)
		}
		if s.FirstEvent.Series != "" {
			if _, err := promql.ParseExpr(s.FirstEvent.Series); err != nil {
				e.add(sp+".first_event.series", "is not valid PromQL: %v", err)
			}
		}
	}
	if s.Required != nil && !*s.Required && strings.TrimSpace(s.Reason) == "" {
		e.add(sp+".reason", "is empty: a signal with required: false says why it is not judged")
	}
	if s.AppliesWhile != "" && s.AppliesWhile != AppliesLegacyWrites {
		e.add(sp+".applies_while", "%q must be %s or empty", s.AppliesWhile, AppliesLegacyWrites)
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

// checkPath refuses a probe path that is not absolute.
func checkPath(e *ValidationError, p, path string) {
	if !strings.HasPrefix(path, "/") {
		e.add(p, "%q must start with / (a path on the runtime's URL)", path)
	}
}

// headerName is an HTTP header field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// checkHeaders refuses header names HTTP cannot carry, values with line
// breaks, and an Authorization header that id_token_file would replace.
func checkHeaders(e *ValidationError, p string, headers map[string]string, idTokenFile string) {
	for _, k := range sortedKeys(headers) {
		switch {
		case !headerName.MatchString(k):
			e.add(p+".headers", "%q is not a valid HTTP header name", k)
		case strings.ContainsAny(headers[k], "\r\n"):
			e.add(p+".headers."+k, "the value of %s contains a line break", k)
		case idTokenFile != "" && strings.EqualFold(k, "Authorization"):
			e.add(p+".headers."+k, "conflicts with id_token_file, which sends Authorization: Bearer <token>: keep one")
		}
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
