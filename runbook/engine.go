package runbook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/checks/dbroles"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/metrics"
)

// EngineOptions are the engine's collaborators. Every field is optional.
type EngineOptions struct {
	Now func() time.Time // the clock; time.Now when nil
	// HTTPClient is for the runtime probes; a new client when nil. Either
	// way its responses are capped at max_response_bytes and a signed
	// (legacy) request never follows a redirect.
	HTTPClient *http.Client
	// Journal, when set, receives one "verdict" record per verdict change.
	Journal *journal.Journal
	Logger  *slog.Logger
	// DBURL overrides the database URL the config names (url_env / url_file).
	DBURL string
	// LookupEnv reads secrets from the environment; os.LookupEnv when nil.
	// Tests inject it so they never touch the process environment.
	LookupEnv func(string) (string, bool)
	// ReadOnly is watch's engine: it sends no request to a mutation route
	// of either runtime (no engine holds the write probe: see
	// checks.WriteProber). The safe frozen probes (refused POSTs) are never
	// sent; their answers come from what operating processes journaled,
	// shown with their age (stale after stale_after: UNKNOWN). The Rust
	// write mode and writer flag still come from GET /healthz.
	ReadOnly bool
	// Shared, when set, is what other machines published to the shared
	// timeline: their actions count in this engine's history.
	Shared *SharedFeed
	// StagingShared is, for a production engine, what other machines
	// published to the timeline of the environment it requires: a staging
	// run done on another laptop opens production's S4 too.
	StagingShared map[string]*SharedFeed

	// ProbeJournal, when set without Journal, receives only the safe
	// frozen probes' answers: a one-shot `check` leaves its answer for the
	// next call (and watchers) to reuse, without a verdict record per run.
	ProbeJournal *journal.Journal
}

// Engine observes one environment and judges the runbook against what it
// sees. It never changes anything: the executor is the only door for that.
// Observe may be called from several goroutines.
type Engine struct {
	cfg     *config.Config
	env     *config.Environment
	items   []*Item
	now     func() time.Time
	logger  *slog.Logger
	journal *journal.Journal

	sampler *metrics.Sampler
	probes  *checks.Probes
	db      *dbCheck
	ev      *evaluator

	freeze freezeCache
	parity checks.ParityReader

	projector *checks.ProjectorWatch
	projCache projectorCache
	watched   sync.Map // run ids already handed to the projector watch

	readOnly bool

	// probeJournal receives the safe frozen probes' answers: Journal, else
	// ProbeJournal. reuseProbes (a one-shot check's engine: ProbeJournal
	// only) first takes a fresh journaled answer; an operating engine
	// always asks the runtimes itself.
	probeJournal *journal.Journal
	reuseProbes  bool

	host    string
	history *historyReader
	staging map[string]*historyReader // production only: the journal of the environment it requires
	// required observes, in production, the environment it requires.
	required *requiredWatch

	mu       sync.Mutex
	verdicts map[string]string // last journaled verdict per item / incident
}

// NewEngine builds the observers of env in cfg: the Prometheus sampler over
// the environment's signals, the runtime probes (legacy ones signed with the
// configured secret), the parity reader and the DB role check. env may be
// empty when cfg has exactly one environment.
func NewEngine(cfg *config.Config, env string, o EngineOptions) (*Engine, error) {
	environment, err := PickEnvironment(cfg, env)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	api, err := metrics.NewAPI(environment.Prometheus, metrics.WithMaxResponseBytes(cfg.MaxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", environment.Name, err)
	}
	access, err := NewRuntimeAccess(cfg, environment, o)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", environment.Name, err)
	}
	dbURL, from := o.DBURL, "DB_URL"
	if dbURL == "" {
		if dbURL, from, err = databaseURL(environment, o.LookupEnv); err != nil {
			return nil, fmt.Errorf("environment %s: %w", environment.Name, err)
		}
	}
	if o.Journal != nil {
		o.Journal.AddSecrets(string(access.Secret), dbURL)
	}

	probes := access.Probes()
	items := RunbookItems()
	r := environment.Database.Roles
	host, _ := os.Hostname()
	staging := map[string]*historyReader{}
	if name := environment.Requires; environment.Production && name != "" {
		staging[name] = newHistoryReader(journal.Path(cfg.StateDir, name))
		staging[name].shared = o.StagingShared[name]
	}
	history := newHistoryReader(journal.Path(cfg.StateDir, environment.Name))
	history.shared = o.Shared
	probeJournal := o.Journal
	if probeJournal == nil {
		probeJournal = o.ProbeJournal
	}
	e := &Engine{
		projector: checks.NewProjectorWatch(probes, checks.ProjectorWatchPath(cfg.StateDir, environment.Name), 0),
		host:      host,
		readOnly:  o.ReadOnly,
		history:   history,
		staging:   staging,
		required:  newRequiredWatch(cfg, environment, o),
		cfg:       cfg,
		env:       environment,
		items:     items,
		now:       o.Now,
		logger:    o.Logger,
		journal:   o.Journal,
		parity:    checks.ParityReader{MaxClockSkew: cfg.MaxClockSkew.D()},
		sampler: metrics.NewSampler(api, environment.Signals, metrics.SamplerOptions{
			QueryTimeout: cfg.QueryTimeout.D(),
			Window:       cfg.SparklineWindow.D(),
			StaleAfter:   cfg.StaleAfter.D(),
			Now:          o.Now,
		}),
		probes: probes,
		db: &dbCheck{url: dbURL, from: from, now: o.Now, check: dbroles.Check,
			roles: dbroles.Roles{Owner: r.Owner, RuntimeRW: r.RuntimeRW, KhalaRO: r.KhalaRO, ControlRW: r.ControlRW}},
		ev:       newEvaluator(cfg, environment, items),
		verdicts: map[string]string{},
	}
	e.probeJournal, e.reuseProbes = probeJournal, o.Journal == nil && o.ProbeJournal != nil
	return e, nil
}

// errAmbiguousEnv asks for --env when the config has several environments.
var errAmbiguousEnv = errors.New("choose an environment with --env")

// PickEnvironment returns the environment called name, or the only one
// when name is empty; otherwise the error lists what is configured.
func PickEnvironment(cfg *config.Config, name string) (*config.Environment, error) {
	names := slices.Sorted(maps.Keys(cfg.Environments))
	if name == "" {
		if len(names) == 1 {
			return cfg.Environments[names[0]], nil
		}
		return nil, fmt.Errorf("%w (configured: %v)", errAmbiguousEnv, names)
	}
	env, ok := cfg.Environments[name]
	if !ok || env == nil {
		return nil, fmt.Errorf("environment %q is not configured (configured: %v)", name, names)
	}
	return env, nil
}

// Items are the runbook's items, P1 … I3, as this engine judges them.
func (e *Engine) Items() []*Item { return e.items }

// Env is the environment this engine observes.
func (e *Engine) Env() *config.Environment { return e.env }

// Config is the configuration the engine was built from.
func (e *Engine) Config() *config.Config { return e.cfg }

// NoteProbeRun takes in a write probe's run, which the executor's probe
// wrote: the projector watch follows its checkpoint and drift (they then
// vouch for I3 and V4), and the journal gets what the run says (V1, S2 and
// P3 rest on it). The engine itself holds no write probe.
func (e *Engine) NoteProbeRun(rep checks.WriteProbeReport) {
	e.watchRun(rep.RunID)
	e.journalProbeRun(rep)
}

// watchRun adds a run to the projector watch once.
func (e *Engine) watchRun(id string) {
	if id == "" {
		return
	}
	if _, seen := e.watched.LoadOrStore(id, true); seen {
		return
	}
	if err := e.projector.Watch(id); err != nil {
		e.logger.Warn("watching a run's projector checkpoint", "run", id, "err", err)
	}
}

// projectorCache keeps the projector endpoints' last answers for as long as
// the safe probes keep theirs: each round would otherwise read two
// endpoints per watched run.
type projectorCache struct {
	mu                  sync.Mutex
	at                  time.Time
	checkpoints, drifts checks.Result
}

func (e *Engine) projectorResults(ctx context.Context) (checks.Result, checks.Result) {
	c := &e.projCache
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := actionRound(ctx)
	if fresh || c.at.IsZero() || e.now().Sub(c.at) >= freezeProbeEvery(e.cfg.Refresh.D(), e.cfg.StaleAfter.D()) ||
		c.checkpoints.Verdict == checks.Unknown || c.drifts.Verdict == checks.Unknown {
		c.checkpoints, c.drifts = e.projector.Observe(ctx)
		c.at = e.now()
	}
	return c.checkpoints, c.drifts
}

// DatabaseURL is the environment's database (url_env / url_file), empty when
// none is configured; acting verbs keep their advisory lock there.
func (e *Engine) DatabaseURL() string { return e.db.url }

// Observe runs one round: the sampler tick, every probe, the parity read,
// the DB check (cached) and the rollback artifact look-up, all at once, so a
// round takes as long as its slowest observation; then it judges the
// runbook items and incident criteria and journals verdicts that changed.
func (e *Engine) Observe(ctx context.Context) State {
	ctx, cancel := context.WithTimeout(ctx, e.roundDeadline())
	defer cancel()
	var o observation
	start := e.now()
	var wg sync.WaitGroup
	wg.Go(func() { o.snapshot = e.sampler.Tick(ctx) })
	wg.Go(func() { o.rust, o.rustHealth = e.probes.RustHealth(ctx) })
	wg.Go(func() { o.rustReady = e.probes.RustReadiness(ctx) })
	wg.Go(func() { o.legacyHealth = e.probes.LegacyHealth(ctx) })
	if !e.readOnly {
		wg.Go(func() { e.freezeProbes(ctx, &o) })
	}
	wg.Go(func() {
		o.parity = e.parity.ReadContext(ctx, e.env.Parity.Reports, e.env.Parity.MaxAge.D(), e.cfg.Parity, start)
	})
	wg.Go(func() {
		if actionRound(ctx) {
			o.db = e.db.cached()
		} else {
			o.db = e.db.results(ctx)
		}
	})
	wg.Go(func() { o.checkpoints, o.drift = e.projectorResults(ctx) })
	if e.required != nil {
		wg.Go(func() { o.required = e.required.observe(ctx) })
	}
	wg.Go(func() {
		o.history = e.history.Read()
		o.staging = make(map[string]History, len(e.staging))
		for name, r := range e.staging {
			o.staging[name] = r.Read()
		}
		o.artifacts = rollbackArtifacts(e.cfg.StateDir, e.env.Name, start, o.history.RollbackStarted)
	})
	wg.Wait()
	if o.snapshot.Fallback != "" {
		e.logger.Warn("asking Prometheus signal by signal this round", "why", o.snapshot.Fallback)
	}
	if e.readOnly {
		e.journaledFreeze(&o)
	}
	o.host = e.host
	o.probeRun = e.probeRunHeld(ctx, o.history)
	// Every run a trusted report within max_age names (the harness
	// captures them from live traffic: a rolling sample of recent runs),
	// oldest first so the watch keeps the newest.
	for _, id := range slices.Backward(o.parity.RustRunIDs) {
		e.watchRun(id)
	}
	o.at = e.now()

	st := e.ev.evaluate(o)
	e.journalChanges(st)
	return st
}

// roundDeadline bounds one observation round as a whole, whatever its
// caller's context says. Every observation has its own timeout (each query
// and probe query_timeout, the DB check dbTimeout); this is the backstop
// that turns anything ignoring them (a Prometheus that accepts and never
// answers) into UNKNOWN within a known time.
func (e *Engine) roundDeadline() time.Duration {
	return max(e.cfg.Refresh.D(), 4*e.cfg.QueryTimeout.D(), dbTimeout) + time.Second
}

// journalChanges appends a "verdict" record for every item or incident whose
// verdict differs from the last one journaled: the timeline shows changes,
// not every tick.
func (e *Engine) journalChanges(st State) {
	if e.journal == nil {
		return
	}
	type change struct{ id, verdict, evidence string }
	var changes []change
	e.mu.Lock()
	for _, is := range st.Items {
		sum := is.Summary(st.At)
		v := is.Shown() // what the screen says: a row never contradicts it
		if e.verdicts[is.Item.ID] != v {
			e.verdicts[is.Item.ID] = v
			changes = append(changes, change{is.Item.ID, v, sum.Line(st.At)})
		}
	}
	for _, inc := range st.Incidents {
		id := inc.Runbook + " " + inc.ID
		v := inc.State.String()
		if e.verdicts[id] != v {
			e.verdicts[id] = v
			changes = append(changes, change{id, v, inc.Evidence})
		}
	}
	e.mu.Unlock()
	for _, c := range changes {
		err := e.journal.Append(journal.Record{Time: st.At, Kind: journal.KindVerdict, Env: st.Env,
			Check: c.id, Verdict: c.verdict, Evidence: c.evidence})
		if err != nil {
			e.logger.Error("journaling a verdict change", "check", c.id, "err", err)
		}
	}
}
