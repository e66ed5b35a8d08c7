// Package config loads, defaults and validates the cockpit's one YAML file.
//
// Every query, URL and actuator lives here, never in code: the cockpit must work
// against the real runtimes, the rehearsal world, and any other implementation
// of the same API with its own metric names and its own actuators.
package config

import (
	"time"

	promconfig "github.com/prometheus/common/config"
)

// Config is the whole file.
type Config struct {
	// Path is where the file was read from; errors and the journal name it.
	Path string `yaml:"-"`
	// Hash is the sha256 of the file's bytes, journaled with every action.
	Hash string `yaml:"-"`
	// Secrets are every secret string the config names or reads, longest
	// first: the values ${VAR} references expanded, URL passwords and
	// query values, header values, webhook paths, what the secret files
	// hold (the list and why: secrets.go). The journal, the artifacts, the
	// errors, every verb's output and the screen hide them (redact.Redact).
	Secrets []string `yaml:"-"`
	// Warnings are what is valid but will hold a gate for good (e.g. a
	// production environment with no parity source); `config validate`
	// prints them.
	Warnings []Problem `yaml:"-"`

	// StateDir holds the journal, the lock file and rollback artifacts.
	StateDir string `yaml:"state_dir"`
	// Operator names who acts; defaults to $USER.
	Operator string `yaml:"operator"`
	// Refresh is the sampler's tick.
	Refresh Duration `yaml:"refresh"`
	// QueryTimeout bounds each Prometheus query and probe; it must be below Refresh.
	QueryTimeout Duration `yaml:"query_timeout"`
	// LockTimeout bounds taking the environment's advisory lock: a database
	// that accepts and never answers must not hold a rollback (default 5s).
	LockTimeout Duration `yaml:"lock_timeout"`
	// StaleAfter is the data age past which a value holds every gate.
	StaleAfter Duration `yaml:"stale_after"`
	// SparklineWindow is how much history the panes chart.
	SparklineWindow Duration `yaml:"sparkline_window"`
	// MaxClockSkew is how far in the future a time from another machine
	// (a feed row, a shared record, a sample, a report) may be before it is
	// refused as "in the future (clock skew?)". Default 5s.
	MaxClockSkew Duration `yaml:"max_clock_skew"`
	// MaxResponseBytes caps every HTTP response the cockpit reads
	// (Prometheus, the runtimes, HTTP actuators): a larger body is an
	// error that says so, never unbounded memory. Default 4 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`

	Environments map[string]*Environment `yaml:"environments"`
	Signals      map[string]*Signal      `yaml:"signals"`
	Incidents    map[string]*Incident    `yaml:"incidents"`
	Parity       ParityPolicy            `yaml:"parity_policy"`
	// ExactlyOneWriter is the standing check that exactly one runtime
	// accepts writes (observed from the safe probes, never from memory).
	ExactlyOneWriter WritersPolicy `yaml:"exactly_one_writer"`

	// Notify is where the team hears of actions, overrides, rollbacks and
	// incidents: webhook targets, each with the events it wants.
	Notify Notify `yaml:"notify"`

	// Recording bounds the flight recorder (or turns it off).
	Recording Recording `yaml:"recording"`

	// TeamKeys are the team's public keys by operator (as `cockpit key`
	// prints them): a shared timeline record is believed only when one of
	// these signed it, for the operator it names.
	TeamKeys map[string]string `yaml:"team_keys"`

	// Rehearsal is set only in the config the rehearsal world writes.
	Rehearsal *Rehearsal `yaml:"rehearsal,omitempty"`

	// explicit is every key the file wrote (explicit.go): an explicit zero
	// is a value, not "use the default".
	explicit explicitKeys
	// removed are the signals the file's signals section writes null
	// (remove.go), each with whether it removed one.
	removed map[string]bool
}

// Environment is one target of the cutover: staging or production.
type Environment struct {
	Name string `yaml:"-"`
	// Production environments need their name typed to confirm an action.
	Production bool `yaml:"production"`
	// Requires is, for a production environment, the non-production
	// environment it is promoted from: only that one's runbook opens S4.
	// Default: the only non-production environment, when there is one.
	Requires string `yaml:"requires"`

	Prometheus    Prometheus    `yaml:"prometheus"`
	RustRuntime   RustRuntime   `yaml:"rust_runtime"`
	LegacyRuntime LegacyRuntime `yaml:"legacy_runtime"`
	Database      Database      `yaml:"database"`
	// SharedTimeline is where the team's shared timeline and observation
	// feed live when not in Database (a database of the team's own, so a
	// timeline outage never touches the lock); default: Database.
	SharedTimeline SharedTimeline     `yaml:"shared_timeline"`
	Parity         Parity             `yaml:"parity"`
	Actuators      Actuators          `yaml:"actuators"`
	WriteProbe     WriteProbe         `yaml:"write_probe"`
	Cohorts        []int              `yaml:"cohorts"`
	Soak           Duration           `yaml:"soak"`
	VerifyTimeout  Duration           `yaml:"verify_timeout"`
	Signals        map[string]*Signal `yaml:"signals"` // per-environment overrides, merged over the global ones
	// LowTraffic is how a step proceeds when an incident criterion reads
	// "insufficient traffic" (a quiet staging): hold (the default) keeps
	// the step held unless the write probe's own writes judge the write
	// path (S2/V1 themselves, or a probe passed since the last mode
	// change, while Rust is the only authority); proceed lets it go on,
	// the criterion still shown UNKNOWN with its reason.
	LowTraffic LowTraffic `yaml:"low_traffic"`
	// Guard is what a firing incident criterion does on its own: advise,
	// count down then roll back, or roll back at once (guard.go).
	Guard Guard `yaml:"guard"`
	// Dashboard is the team's dashboard for this environment (an http(s)
	// URL, optional): `cockpit export alert-rules` links it from every alert.
	Dashboard string `yaml:"dashboard,omitempty"`
	// removed are the signals this environment's signals write null.
	removed map[string]bool
}

// LowTraffic is an environment's low_traffic: hold or proceed.
type LowTraffic string

// The low_traffic values.
const (
	LowTrafficHold    LowTraffic = "hold"
	LowTrafficProceed LowTraffic = "proceed"
)

// Prometheus is where an environment's metrics are queried.
type Prometheus struct {
	URL             string                `yaml:"url"`
	BearerTokenFile string                `yaml:"bearer_token_file"`
	TLSConfig       promconfig.TLSConfig  `yaml:"tls_config"`
	Headers         map[string]string     `yaml:"headers"`
	BasicAuth       *promconfig.BasicAuth `yaml:"basic_auth,omitempty"`
}

// RustRuntime is the Rust runtime's base URL (no auth on /internal/v1).
type RustRuntime struct {
	URL string `yaml:"url"`
	// HealthPath and ReadyPath default to /healthz and /readyz. Cloud Run
	// reserves some paths ending in z: point them elsewhere (a proxy route),
	// or leave them unreachable and let the safe write probe tell the mode.
	HealthPath string `yaml:"health_path"`
	ReadyPath  string `yaml:"ready_path"`
	// Headers are sent with every probe to this runtime (e.g. a gateway key).
	Headers map[string]string `yaml:"headers"`
	// IDTokenFile holds an identity token sent as "Authorization: Bearer"
	// (a Cloud Run service that requires authentication); re-read each probe.
	IDTokenFile string `yaml:"id_token_file"`
}

// LegacyRuntime is the legacy runtime. Every request to it, health included,
// is signed with RUNTIME_SIGNATURE_SECRET, read from an env var or a file.
type LegacyRuntime struct {
	URL                 string `yaml:"url"`
	SignatureSecretEnv  string `yaml:"signature_secret_env"`
	SignatureSecretFile string `yaml:"signature_secret_file"`
	// FreezeProbe is the mutation route the safe frozen probe posts to, with a
	// well-formed body that fails the route's validation.
	FreezeProbe FreezeProbe `yaml:"freeze_probe"`
	// HealthPath defaults to /internal/v1/health (signed, like every request).
	HealthPath string `yaml:"health_path"`
	// Headers and IDTokenFile as for the Rust runtime; the signature header
	// is always added on top.
	Headers     map[string]string `yaml:"headers"`
	IDTokenFile string            `yaml:"id_token_file"`
}

// FreezeProbe is a signed POST that writes nothing in either state.
type FreezeProbe struct {
	Path string `yaml:"path"`
	Body string `yaml:"body"`
}

// Database is where DB role isolation is verified (precondition P4) and where
// the advisory lock lives.
type Database struct {
	URLEnv  string `yaml:"url_env"`
	URLFile string `yaml:"url_file"`
	Roles   Roles  `yaml:"roles"`
}

// SharedTimeline names the shared timeline's database by URL env var or
// file; empty uses the environment's database.
type SharedTimeline struct {
	URLEnv  string `yaml:"url_env"`
	URLFile string `yaml:"url_file"`
}

// Roles are the four roles of the isolation policy.
type Roles struct {
	Owner     string `yaml:"owner"`
	RuntimeRW string `yaml:"runtime_rw"`
	KhalaRO   string `yaml:"khala_ro"`
	ControlRW string `yaml:"control_rw"`
}

// Parity locates the shadow harness's reports and how to run it.
type Parity struct {
	// Reports is a glob; every matching report within MaxAge is judged,
	// the worst deciding (checks.ReadParity).
	Reports string `yaml:"reports"`
	// MaxAge past which a report no longer vouches for anything.
	MaxAge Duration `yaml:"max_age"`
	// Capture takes fresh snapshots of staged traffic (the manifests the
	// harness compares) before S3 runs the harness: {{.Env}}, {{.CaptureDir}}.
	Capture *Action `yaml:"capture,omitempty"`
	// Harness compares the captures and writes {{.Report}}, a path unique to
	// this run inside the reports directory.
	Harness Action `yaml:"harness"`
}

// ParityPolicy is the harness policy the cutover requires.
type ParityPolicy struct {
	MaxWarnings     int  `yaml:"max_warnings"`
	BlockOnCritical bool `yaml:"block_on_critical"`
}

// Actuators change the world. Each is an argv template (no shell) or an HTTP
// call; template fields ({{.Mode}}…) come only from a closed set of typed values.
type Actuators struct {
	SetRustWriteMode *Action `yaml:"set_rust_write_mode"`
	SetLegacyFreeze  *Action `yaml:"set_legacy_freeze"`
	RouteWrites      *Action `yaml:"route_writes"`
	SetCohort        *Action `yaml:"set_cohort"`
}

// Action is one actuator: exactly one of Argv or HTTP.
type Action struct {
	Argv []string `yaml:"argv"`
	// Env is added to the command's environment (beside the cockpit's
	// own): the way an argv actuator is given a secret, e.g.
	// {CLOUDSDK_AUTH_ACCESS_TOKEN: "${GCLOUD_TOKEN}"}. An argv is shown by
	// ps to every user and printed in the plan; an environment is
	// readable only by its owner and never shown. Values are not templates.
	Env     map[string]string `yaml:"env"`
	HTTP    *HTTPAction       `yaml:"http,omitempty"`
	Timeout Duration          `yaml:"timeout"`
}

// HTTPAction is an actuator that is an HTTP call.
type HTTPAction struct {
	Method  string            `yaml:"method"`
	URL     string            `yaml:"url"`
	Body    string            `yaml:"body"`
	Headers map[string]string `yaml:"headers"`
}

// WriteProbe configures the explicit write probe (S2 and V1): it creates a
// real, labelled run in the Rust runtime.
type WriteProbe struct {
	Source   string `yaml:"source"`    // metadata.source on the run
	WorkerID string `yaml:"worker_id"` // worker_id on the run
}

// Signal is one PromQL query with its thresholds and its policies.
type Signal struct {
	Name  string `yaml:"-"`
	Title string `yaml:"title"`
	Query string `yaml:"query"`
	// Unit formats values: ratio (shown as %), count, events, bool, percent.
	Unit string `yaml:"unit"`
	// Warn and Crit are thresholds; Direction says which side is bad.
	Warn      *float64  `yaml:"warn"`
	Crit      *float64  `yaml:"crit"`
	Direction Direction `yaml:"direction"` // above (default) | below
	// For is how long Crit must hold before the check fails (PENDING before).
	For           Duration `yaml:"for"`
	KeepFiringFor Duration `yaml:"keep_firing_for"`
	// VolumeQuery and MinRequests guard ratios computed on too little traffic.
	VolumeQuery string  `yaml:"volume_query"`
	MinRequests float64 `yaml:"min_requests"`
	OnNoData    Policy  `yaml:"on_no_data"`
	OnError     Policy  `yaml:"on_error"`
	// StaleAfter overrides the global stale_after for this signal: a source
	// that is sampled every 60s and ingested minutes late (Cloud Run metrics
	// in Managed Prometheus) needs a longer one.
	StaleAfter Duration `yaml:"stale_after"`
	// Series says the query must return exactly one series (preflight checks it).
	Series string `yaml:"series"` // one (default) | any

	// explicit names the zeroIsAChoice fields the file wrote for this
	// signal, so merging keeps an explicit zero over a default.
	explicit map[string]bool
	// FirstEvent marks a signal read from counters the runtime creates
	// with their first event (drift, write failures, replay errors): no
	// series reads 0, but only while the exporter that would carry them is
	// proven alive; otherwise the signal is UNKNOWN.
	FirstEvent *FirstEvent `yaml:"first_event,omitempty"`
	// Required false declares a signal the deployment structurally lacks
	// (Reason says why, e.g. the lag summary that never receives an
	// observation): it is shown and journaled "not judged: <reason>" and
	// holds no gate. Unset is true.
	Required *bool  `yaml:"required,omitempty"`
	Reason   string `yaml:"reason,omitempty"`
	// AppliesWhile limits when the signal describes anything:
	// "legacy_writes" for the legacy runtime's projection telemetry, which
	// moves only on legacy writes. While legacy is observed accepting no
	// writes (after S1) the signal reads n/a with why, never ok.
	AppliesWhile string `yaml:"applies_while,omitempty"`
}

// FirstEvent is how the cockpit proves that a counter's exporter is alive,
// so that the counter's absence means "no event yet" and not "no telemetry".
type FirstEvent struct {
	// Up is the exporter's scrape health, e.g. up{job="legacy-runtime"}:
	// every series it selects must be 1, with fresh data.
	Up string `yaml:"up"`
	// Series selects other series of the same exporter that exist before
	// the counter's first event (e.g. its endpoint request counter): their
	// newest sample must be fresh too. Empty: Up alone.
	Series string `yaml:"series"`
}

// AppliesLegacyWrites is Signal.AppliesWhile for legacy projection telemetry.
const AppliesLegacyWrites = "legacy_writes"

// NotJudged is why a signal is not judged at all ("" when it is): it is
// declared required: false.
func (s *Signal) NotJudged() string {
	if s == nil || s.Required == nil || *s.Required {
		return ""
	}
	return "not judged: " + s.Reason
}

// Incident is one incident criterion, made explicit: what it judges (a
// signal, the signal of whichever runtime is the authority, or a source the
// cockpit reads itself), a threshold, how long it must hold and how long it
// keeps firing after it clears.
type Incident struct {
	Name    string `yaml:"-"`
	Title   string `yaml:"title"`
	Runbook string `yaml:"runbook"` // I1, I2 or I3
	// Exactly one of Signal, Authority and Source.
	Signal string `yaml:"signal"`
	// Authority judges the signal of each runtime observed accepting writes
	// (the worst wins): a frozen runtime's expected refusals are not errors.
	Authority *AuthoritySignals `yaml:"authority,omitempty"`
	// Source is a judge that needs no Prometheus: parity_reports (critical
	// diffs in any report within parity.max_age) or rust_checkpoints
	// (checkpoint regression or drift of runs the cockpit wrote).
	Source        string   `yaml:"source"`
	Above         *float64 `yaml:"above"`
	Below         *float64 `yaml:"below"`
	For           Duration `yaml:"for"`
	KeepFiringFor Duration `yaml:"keep_firing_for"`
}

// AuthoritySignals name the signal that judges each runtime while it is an
// authority (accepting writes).
type AuthoritySignals struct {
	Rust   string `yaml:"rust"`
	Legacy string `yaml:"legacy"`
}

// Incident sources that are not Prometheus signals.
const (
	SourceParityReports   = "parity_reports"
	SourceRustCheckpoints = "rust_checkpoints"
)

// WritersPolicy tunes the exactly-one-writer check: both runtimes accepting
// writes outside a running step is an incident at once; neither accepting is
// one after NeitherFor (a rollback passes through that state briefly).
type WritersPolicy struct {
	NeitherFor Duration `yaml:"neither_for"`
}

// Rehearsal ties a generated config to the rehearsal world that wrote it.
type Rehearsal struct {
	ControlURL string `yaml:"control_url"`
}

// Policy is what a check answers when its data is missing or its query fails.
type Policy string

// The policies of docs/design.md §2 (principle 2). There is no "pass":
// missing data is never green.
const (
	PolicyHold     Policy = "hold"      // UNKNOWN: gates hold
	PolicyFail     Policy = "fail"      // FAIL
	PolicyKeepLast Policy = "keep_last" // the last verdict, while its data is not stale
)

// Duration is a time.Duration written as "5m" in YAML.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
