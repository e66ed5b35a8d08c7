package config

import (
	"os"
	"os/user"
	"path/filepath"
	"time"
)

func ptr(f float64) *float64 { return &f }

// DefaultSignals fit the rehearsal world's metric names (docs/metrics.md).
// A real deployment overrides the queries; a signal named in the file takes
// the defaults below for every field it leaves out.
func DefaultSignals() map[string]*Signal {
	writeErrors := func(selector string) string {
		return `(sum(rate(runtime_http_requests_total{` + selector + `kind="write",status_class="5xx"}[1m])) or vector(0))` +
			` / sum(rate(runtime_http_requests_total{` + selector + `kind="write"}[1m]))`
	}
	writeVolume := func(selector string) string {
		return `sum(increase(runtime_http_requests_total{` + selector + `kind="write"}[1m]))`
	}
	errorRate := func(title, selector string) *Signal {
		return &Signal{Title: title, Query: writeErrors(selector), Unit: "ratio",
			Warn: ptr(0.01), Crit: ptr(0.02), VolumeQuery: writeVolume(selector), MinRequests: 20}
	}
	return map[string]*Signal{
		"write_error_rate":        errorRate("write 5xx ratio", ""),
		"rust_write_error_rate":   errorRate("rust write 5xx ratio", `runtime="rust",`),
		"legacy_write_error_rate": errorRate("legacy write 5xx ratio", `runtime="legacy",`),
		"rust_write_share": {Title: "share of accepted writes landing on rust", Unit: "ratio",
			Query: `sum(rate(runtime_http_requests_total{runtime="rust",kind="write",status_class="2xx"}[30s])) / sum(rate(runtime_http_requests_total{kind="write",status_class="2xx"}[30s]))`},
		"rust_ready":   {Title: "rust readiness", Unit: "bool", Query: `min(runtime_ready{runtime="rust"})`, Crit: ptr(1), Direction: "below"},
		"legacy_ready": {Title: "legacy readiness", Unit: "bool", Query: `min(runtime_ready{runtime="legacy"})`, Crit: ptr(1), Direction: "below"},
		"projection_lag_p95": {Title: "projection lag (max over 1m)", Unit: "events",
			Query: `max(max_over_time(runtime_projection_lag_events[1m]))`, Warn: ptr(15), Crit: ptr(25)},
		"drift_events": {Title: "drift reports (2m)", Unit: "count",
			Query: `sum(increase(runtime_projection_drift_total[2m]))`, Warn: ptr(0), Crit: ptr(3)},
		"checkpoint_regression": {Title: "checkpoint regression (2m)", Unit: "events",
			Query: `max(max_over_time(runtime_projector_checkpoint_position[2m])) - max(runtime_projector_checkpoint_position)`, Crit: ptr(0)},
		"parity_critical": {Title: "critical parity diffs", Unit: "count",
			Query: `max(runtime_parity_diffs{severity="critical"})`, Crit: ptr(0)},
		"parity_warnings": {Title: "warning parity diffs", Unit: "count",
			Query: `max(runtime_parity_diffs{severity="warning"})`, Crit: ptr(0)},
	}
}

// DefaultIncidents make the runbook's incident criteria explicit. The
// runbook gives no numbers; these come from the repo's alert rules
// (reference/runtime-facts.md §6).
func DefaultIncidents() map[string]*Incident {
	return map[string]*Incident{
		"critical_parity":       {Title: "critical parity diffs", Runbook: "I1", Signal: "parity_critical", Above: ptr(0)},
		"write_error_spike":     {Title: "write error spike", Runbook: "I2", Signal: "write_error_rate", Above: ptr(0.02), For: Duration(5 * time.Minute), KeepFiringFor: Duration(2 * time.Minute)},
		"unbounded_drift":       {Title: "unbounded drift", Runbook: "I3", Signal: "drift_events", Above: ptr(3), For: Duration(5 * time.Minute)},
		"checkpoint_regression": {Title: "checkpoint regression", Runbook: "I3", Signal: "checkpoint_regression", Above: ptr(0), For: Duration(time.Minute)},
	}
}

func (c *Config) applyDefaults(lookupEnv func(string) (string, bool)) {
	if c.StateDir == "" {
		c.StateDir = defaultStateDir(lookupEnv)
	}
	if c.Operator == "" {
		c.Operator = defaultOperator(lookupEnv)
	}
	if c.Refresh == 0 {
		c.Refresh = Duration(time.Second)
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = Duration(c.Refresh.D() * 4 / 5)
	}
	if c.StaleAfter == 0 {
		c.StaleAfter = Duration(max(5*c.Refresh.D(), 10*time.Second))
	}
	if c.SparklineWindow == 0 {
		c.SparklineWindow = Duration(5 * time.Minute)
	}
	if c.Parity == (ParityPolicy{}) {
		c.Parity = ParityPolicy{MaxWarnings: 0, BlockOnCritical: true}
	}
	c.Signals = mergeSignals(DefaultSignals(), c.Signals)
	if c.Incidents == nil {
		c.Incidents = DefaultIncidents()
	}
	for name, inc := range c.Incidents {
		if inc != nil {
			inc.Name = name
		}
	}
	for name, env := range c.Environments {
		if env == nil {
			continue
		}
		env.Name = name
		env.applyDefaults()
		env.Signals = mergeSignals(cloneSignals(c.Signals), env.Signals)
	}
}

func (e *Environment) applyDefaults() {
	if e.LegacyRuntime.SignatureSecretEnv == "" && e.LegacyRuntime.SignatureSecretFile == "" {
		e.LegacyRuntime.SignatureSecretEnv = "RUNTIME_SIGNATURE_SECRET"
	}
	if e.LegacyRuntime.FreezeProbe.Path == "" {
		// The legacy revoke controller refuses a body with neither
		// session_ids nor device_ids (400 invalid_request) before it touches
		// anything, and needs no principal headers. /codex/workers does not
		// fit: without x-oa-user-id it answers 401 (read as a signing
		// problem, so the freeze would never be seen), and with one, an
		// empty body may create a worker.
		e.LegacyRuntime.FreezeProbe = FreezeProbe{Path: "/internal/v1/sync/sessions/revoke", Body: `{}`}
	}
	if e.Database.URLEnv == "" && e.Database.URLFile == "" {
		e.Database.URLEnv = "DB_URL"
	}
	r := &e.Database.Roles
	r.Owner = or(r.Owner, "oa_runtime_owner")
	r.RuntimeRW = or(r.RuntimeRW, "oa_runtime_rw")
	r.KhalaRO = or(r.KhalaRO, "oa_khala_ro")
	r.ControlRW = or(r.ControlRW, "oa_control_rw")
	if e.Parity.MaxAge == 0 {
		e.Parity.MaxAge = Duration(15 * time.Minute)
	}
	if e.VerifyTimeout == 0 {
		e.VerifyTimeout = Duration(2 * time.Minute)
	}
	if len(e.Cohorts) == 0 {
		e.Cohorts = []int{5, 25, 50, 100}
	}
	if e.Soak == 0 {
		e.Soak = Duration(10 * time.Minute)
	}
	e.WriteProbe.Source = or(e.WriteProbe.Source, "cockpit-write-probe")
	e.WriteProbe.WorkerID = or(e.WriteProbe.WorkerID, "cockpit:write-probe")
	for _, a := range []*Action{e.Actuators.SetRustWriteMode, e.Actuators.SetLegacyFreeze, e.Actuators.RouteWrites, e.Actuators.SetCohort, &e.Parity.Harness} {
		if a != nil && a.Timeout == 0 {
			a.Timeout = Duration(5 * time.Minute)
		}
	}
}

// defaultOperator names who acts in the journal: $USER, else the login
// name of this process's user (USER is often unset under sudo, cron or tmux).
func defaultOperator(lookupEnv func(string) (string, bool)) string {
	if name, ok := lookupEnv("USER"); ok && name != "" {
		return name
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func defaultStateDir(lookupEnv func(string) (string, bool)) string {
	if dir, ok := lookupEnv("XDG_STATE_HOME"); ok && dir != "" {
		return filepath.Join(dir, "cockpit")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "cockpit")
	}
	return filepath.Join(home, ".local", "state", "cockpit")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cloneSignals(in map[string]*Signal) map[string]*Signal {
	out := make(map[string]*Signal, len(in))
	for k, v := range in {
		c := *v
		out[k] = &c
	}
	return out
}

// mergeSignals lays over on top of base, field by field: a signal named in
// over keeps base's value for every field it leaves unset.
func mergeSignals(base, over map[string]*Signal) map[string]*Signal {
	for name, o := range over {
		if o == nil {
			continue
		}
		b, ok := base[name]
		if !ok {
			b = &Signal{}
		}
		m := *b
		if o.Title != "" {
			m.Title = o.Title
		}
		if o.Query != "" {
			m.Query = o.Query
		}
		if o.Unit != "" {
			m.Unit = o.Unit
		}
		if o.Warn != nil {
			m.Warn = o.Warn
		}
		if o.Crit != nil {
			m.Crit = o.Crit
		}
		if o.Direction != "" {
			m.Direction = o.Direction
		}
		if o.For != 0 {
			m.For = o.For
		}
		if o.KeepFiringFor != 0 {
			m.KeepFiringFor = o.KeepFiringFor
		}
		if o.VolumeQuery != "" {
			m.VolumeQuery = o.VolumeQuery
		}
		if o.MinRequests != 0 {
			m.MinRequests = o.MinRequests
		}
		if o.OnNoData != "" {
			m.OnNoData = o.OnNoData
		}
		if o.OnError != "" {
			m.OnError = o.OnError
		}
		if o.Series != "" {
			m.Series = o.Series
		}
		base[name] = &m
	}
	for name, s := range base {
		s.Name = name
		if s.OnNoData == "" {
			s.OnNoData = PolicyHold
		}
		if s.OnError == "" {
			s.OnError = PolicyHold
		}
		if s.Direction == "" {
			s.Direction = "above"
		}
		if s.Series == "" {
			s.Series = "one"
		}
		if s.Unit == "" {
			s.Unit = "count"
		}
	}
	return base
}
