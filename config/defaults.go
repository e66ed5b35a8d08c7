package config

import (
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/internal/skew"
)

func ptr(f float64) *float64 { return &f }

// The production telemetry the defaults read (docs/runtime-facts.md §6,
// docs/metrics.md): Cloud Run's request counts in Managed Prometheus, and the
// legacy runtime's telemetry under the names the repo's alert rules use.
// Neither runtime exports a parity or checkpoint metric: those verdicts come
// from the harness reports and the Rust runtime's projector endpoints.
const (
	requestCount   = "run_googleapis_com:request_count"
	phoenixStop    = "phoenix_endpoint_stop_duration_count"
	khala          = "openagents_runtime_khala_projection_"
	writesService  = `service_name="runtime-writes"`
	rustRevisions  = `revision_name=~"runtime-writes-rust-.*"`
	legacyRevision = `revision_name=~"runtime-writes-legacy-.*"`
	notRefused     = `response_code!~"410|503"`
)

// DefaultSignals are the production queries with the repo's thresholds and
// durations. The topology they assume (config example): writes reach the
// runtimes through one Cloud Run service, runtime-writes, whose revisions are
// named runtime-writes-rust-… and runtime-writes-legacy-…; a real deployment
// with other names overrides the queries. A signal named in the file takes
// the defaults below for every field it leaves out.
func DefaultSignals() map[string]*Signal {
	// ratio is part/whole over window. A series for part exists only once
	// such a request was answered (a first 5xx, a first write on Rust), so
	// no part reads as 0 — but only while whole exists: "or vector(0)"
	// would read green with no traffic data at all.
	ratio := func(part, whole, window string) string {
		total := `sum(rate(` + requestCount + `{` + whole + `}[` + window + `]))`
		return `(sum(rate(` + requestCount + `{` + part + `}[` + window + `])) or ` + total + ` * 0) / ` + total
	}
	// A frozen runtime's refusals (410 legacy, 503 Rust: write_path_frozen)
	// are what it must answer, never errors: they leave both the errors
	// and the total, and frozen_write_refusals (frozen_writes) judges every
	// one of them, so no 503 on the write path goes unseen.
	writeErrors := func(title, revisions string) *Signal {
		served := writesService + `,` + revisions + `,` + notRefused
		return &Signal{Title: title, Unit: "ratio", Query: ratio(served+`,response_code_class="5xx"`, served, "5m"),
			VolumeQuery: `sum(increase(` + requestCount + `{` + served + `}[5m]))`, MinRequests: 20,
			Warn: ptr(0.01), Crit: ptr(0.02)}
	}
	return map[string]*Signal{
		"rust_write_error_rate":   writeErrors("rust write 5xx ratio", rustRevisions),
		"legacy_write_error_rate": writeErrors("legacy write 5xx ratio", legacyRevision),
		// The repo's Http5xxRateHigh; no 5xx series yet reads 0 while the
		// endpoint's total exists (the rule itself just does not fire).
		"legacy_http_5xx_ratio": {Title: "legacy endpoint 5xx ratio (Http5xxRateHigh)", Unit: "ratio",
			Query: `(sum(rate(` + phoenixStop + `{status_class="5xx"}[5m])) or sum(rate(` + phoenixStop + `[5m])) * 0)` +
				` / clamp_min(sum(rate(` + phoenixStop + `[5m])), 1)`,
			Warn: ptr(0.02), For: Duration(10 * time.Minute), FirstEvent: legacyExporter()},
		// Before the cutover no Rust revision has answered a write, so its
		// series does not exist yet: that reads as a share of 0, but only
		// while the write path's total exists.
		"rust_write_share": {Title: "share of accepted writes on the rust revisions", Unit: "ratio",
			Query: ratio(writesService+`,`+rustRevisions+`,response_code_class="2xx"`, writesService+`,response_code_class="2xx"`, "2m")},
		// Writes answered 410 (frozen legacy) or 503 (frozen Rust) on the
		// write path: clients are being refused. The cockpit's own safe
		// probes go to the runtimes' own services, never through this one.
		// Its window (1m) is shorter than the incident's `for` (2m), so the
		// burst a rollback makes between R1 and R3 cannot fire on its own.
		"frozen_write_refusals": {Title: "writes reaching a frozen runtime (/s)", Unit: "count",
			Query: `sum(rate(` + requestCount + `{` + writesService + `,response_code=~"410|503"}[1m])) or sum(rate(` + requestCount + `{` + writesService + `}[1m])) * 0`,
			Crit:  ptr(0)},
		// Writes answered 404 on the write path: an append that reached a
		// runtime without its run (Rust's not_found, legacy's missing
		// ownership record, or a route the other runtime's API lacks). A
		// sticky per-user cohort makes none; a per-request traffic split,
		// an instance without the run, or a restart that lost it does.
		"misrouted_writes": {Title: "writes answered 404 on the write path (5m)", Unit: "count",
			Query: `sum(increase(` + requestCount + `{` + writesService + `,response_code="404"}[5m])) or sum(increase(` + requestCount + `{` + writesService + `}[5m])) * 0`,
			Crit:  ptr(0)},
		// The lag summary never receives an observation in the real code
		// (docs/runtime-facts.md §8: it is bound to [:khala, :projection], the
		// projector emits [:khala, :projection, :write]), so the deployment
		// structurally lacks it: not judged, and P3/V4 read lag from the
		// Rust projector endpoints (checkpoints of the watched runs). A
		// deployment whose reporter is fixed sets required: true.
		"projection_lag": {Title: "projection lag (mean, 10m)", Unit: "events",
			Query: `sum(rate(` + khala + `lag_events_sum{result="ok"}[10m])) / clamp_min(sum(rate(` + khala + `lag_events_count{result="ok"}[10m])), 1)`,
			Warn:  ptr(15), Crit: ptr(25), Required: new(false), AppliesWhile: AppliesLegacyWrites,
			Reason: "the legacy lag summary never receives an observation (the projector emits [:khala, :projection, :write]); projection is judged from the Rust projector endpoints"},
		// KhalaProjectionWriteFailureRatioHigh (critical).
		"projection_write_failure_ratio": {Title: "projection write failure ratio", Unit: "ratio",
			Query: `sum(rate(` + khala + `write_failure_count[5m])) / clamp_min(sum(rate(` + khala + `write_count[5m])), 1)`,
			Crit:  ptr(0.01), For: Duration(10 * time.Minute), FirstEvent: legacyExporter(), AppliesWhile: AppliesLegacyWrites},
		// KhalaProjectionDriftIncidentsHigh.
		"drift_events": {Title: "projection drift reports (10m)", Unit: "count",
			Query: `sum(increase(` + khala + `drift_count[10m]))`, Warn: ptr(0), Crit: ptr(3),
			FirstEvent: legacyExporter(), AppliesWhile: AppliesLegacyWrites},
		// KhalaProjectionHashMismatchDetected (critical).
		"hash_mismatch_drift": {Title: "hash-mismatch drift (10m)", Unit: "count",
			Query: `sum(increase(` + khala + `drift_count{reason_class=~"summary_hash_mismatch|hash_and_lag_drift"}[10m]))`,
			Crit:  ptr(0), FirstEvent: legacyExporter(), AppliesWhile: AppliesLegacyWrites},
		// KhalaProjectionReplayFailures (critical).
		"replay_failures": {Title: "projection replay failures (15m)", Unit: "count",
			Query: `sum(increase(` + khala + `replay_count{result="error"}[15m]))`, Crit: ptr(0),
			FirstEvent: legacyExporter(), AppliesWhile: AppliesLegacyWrites},
	}
}

// legacyExporter proves the legacy runtime's telemetry alive: its scrape
// target is up and its endpoint counter (which every answered request,
// the cockpit's own signed health probe included, moves) is fresh. The
// drift, write-failure and replay counters appear only with their first
// event (docs/runtime-facts.md §8): while this holds, their absence reads 0. A
// deployment whose scrape job has another name overrides first_event.
func legacyExporter() *FirstEvent {
	return &FirstEvent{Up: `up{job="legacy-runtime"}`, Series: phoenixStop}
}

// DefaultIncidents make the runbook's incident criteria explicit. The
// runbook gives no numbers; these come from the repo's alert rules
// (docs/runtime-facts.md §6).
func DefaultIncidents() map[string]*Incident {
	return map[string]*Incident{
		"critical_parity": {Title: "critical parity diffs", Runbook: "I1", Source: SourceParityReports, Above: ptr(0)},
		"write_error_spike": {Title: "write error spike", Runbook: "I2", Above: ptr(0.02),
			Authority: &AuthoritySignals{Rust: "rust_write_error_rate", Legacy: "legacy_write_error_rate"},
			For:       Duration(10 * time.Minute), KeepFiringFor: Duration(5 * time.Minute)},
		"frozen_writes": {Title: "writes reaching a frozen runtime", Runbook: "I2", Signal: "frozen_write_refusals",
			Above: ptr(0), For: Duration(2 * time.Minute)},
		// One authority per run: an append that reaches the runtime
		// without its run breaks that run for its user.
		"misrouted_writes": {Title: "writes misrouted (run not on that runtime)", Runbook: "I2", Signal: "misrouted_writes",
			Above: ptr(0), For: Duration(time.Minute)},
		"unbounded_drift":       {Title: "unbounded drift", Runbook: "I3", Signal: "drift_events", Above: ptr(3), For: Duration(5 * time.Minute)},
		"critical_drift":        {Title: "hash-mismatch drift", Runbook: "I3", Signal: "hash_mismatch_drift", Above: ptr(0), For: Duration(5 * time.Minute)},
		"checkpoint_regression": {Title: "checkpoint regression", Runbook: "I3", Source: SourceRustCheckpoints, Above: ptr(0)},
	}
}

func (c *Config) applyDefaults(lookupEnv func(string) (string, bool)) {
	c.unshareAliases()
	c.markExplicit()
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
	if c.LockTimeout == 0 {
		c.LockTimeout = Duration(5 * time.Second)
	}
	if c.MaxClockSkew <= 0 {
		c.MaxClockSkew = Duration(skew.Default)
	}
	if c.StaleAfter == 0 {
		// A signal's age is its newest sample's, so stale_after must exceed
		// the scrape interval (Prometheus's default is 1m) plus ingestion.
		c.StaleAfter = Duration(max(5*c.Refresh.D(), 90*time.Second))
	}
	if c.SparklineWindow == 0 {
		c.SparklineWindow = Duration(5 * time.Minute)
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 4 << 20
	}
	if !c.explicit.has("parity_policy", "block_on_critical") {
		// Critical diffs block unless the file says otherwise: writing
		// only max_warnings must not turn blocking off.
		c.Parity.BlockOnCritical = true
	}
	if c.ExactlyOneWriter.NeitherFor == 0 && !c.explicit.has("exactly_one_writer", "neither_for") {
		c.ExactlyOneWriter.NeitherFor = Duration(2 * time.Minute)
	}
	c.Signals, c.removed = mergeSignals(DefaultSignals(), c.Signals)
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
		// A YAML alias (staging: *env) decodes to the anchor's own
		// pointer: each environment gets its own copy, or the last name
		// written would be every alias's name.
		own := *env
		env = &own
		c.Environments[name] = env
		env.Name = name
		env.applyDefaults()
		if !c.explicit.has("environments", name, "soak") && env.Soak == 0 {
			env.Soak = Duration(10 * time.Minute)
		}
		env.Signals, env.removed = mergeSignals(cloneSignals(c.Signals), env.Signals)
		c.applyGuardDefaults(name, env)
	}
	c.defaultRequires()
}

// unshareAliases gives each environment its own value: `staging: *env`
// decodes to the anchor's very value, and defaults applied to one name
// would be the other's (its Name, its merged signals: the last one wins).
func (c *Config) unshareAliases() {
	seen := map[*Environment]bool{}
	for _, name := range sortedKeys(c.Environments) {
		env := c.Environments[name]
		if env == nil {
			continue
		}
		if seen[env] {
			cp := *env
			c.Environments[name] = &cp
		}
		seen[env] = true
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
	// The Rust runtime's own paths. Cloud Run reserves some paths ending in
	// z: a deployment behind it points these at a route that reaches the
	// container (docs/runtime-facts.md §7).
	e.RustRuntime.HealthPath = or(e.RustRuntime.HealthPath, "/healthz")
	e.RustRuntime.ReadyPath = or(e.RustRuntime.ReadyPath, "/readyz")
	e.LegacyRuntime.HealthPath = or(e.LegacyRuntime.HealthPath, "/internal/v1/health")
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
	if e.LowTraffic == "" {
		e.LowTraffic = LowTrafficHold
	}
	if len(e.Cohorts) == 0 {
		e.Cohorts = []int{5, 25, 50, 100}
	}
	e.WriteProbe.Source = or(e.WriteProbe.Source, "cockpit-write-probe")
	e.WriteProbe.WorkerID = or(e.WriteProbe.WorkerID, "cockpit:write-probe")
	for _, a := range []*Action{e.Actuators.SetRustWriteMode, e.Actuators.SetLegacyFreeze, e.Actuators.RouteWrites, e.Actuators.SetCohort, &e.Parity.Harness, e.Parity.Capture} {
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

// mergeAbsence lays over's absence fields (first_event, required, reason,
// applies_while) on m.
func mergeAbsence(m, over *Signal) {
	if over.FirstEvent != nil {
		m.FirstEvent = over.FirstEvent
	}
	if over.Required != nil {
		m.Required = over.Required
	}
	if over.Reason != "" {
		m.Reason = over.Reason
	}
	if over.AppliesWhile != "" {
		m.AppliesWhile = over.AppliesWhile
	}
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
// over keeps base's value for every field it leaves unset. A signal written
// null in over (`signals: {name: null}`) is removed: not sampled, shown or
// judged. removed says, for each name written null, whether base had it
// (false: the null removed nothing, a typo validation names).
func mergeSignals(base, over map[string]*Signal) (merged map[string]*Signal, removed map[string]bool) {
	for name, o := range over {
		if o == nil {
			if removed == nil {
				removed = map[string]bool{}
			}
			_, removed[name] = base[name]
			delete(base, name)
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
		if o.StaleAfter != 0 {
			m.StaleAfter = o.StaleAfter
		}
		keepExplicitZeros(&m, o)
		mergeAbsence(&m, o)
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
			s.Direction = Above
		}
		if s.Series == "" {
			s.Series = "one"
		}
		if s.Unit == "" {
			s.Unit = "count"
		}
	}
	return base, removed
}
