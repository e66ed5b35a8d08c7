package executor

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/runbook"
)

// Plan is what an action will do, resolved before anyone confirms it: the
// exact calls, the target environment and the live gate values with their
// age. Execute runs exactly these calls, nothing re-rendered.
type Plan struct {
	ID         string        // S1…S4, V1…V4, P1…P4 or "rollback"
	Item       *runbook.Item // nil for "rollback" (R1–R4 run as one)
	Env        string
	Production bool
	Calls      []Call
	Gates      []checks.Result
	GatesGreen bool
	Writes     bool
	// At is when the gates were observed.
	At time.Time

	steps []subStep
}

// subStep is one unit of an action: an actuator call or another act (the
// write probe, a soak), then post-verification against the observed state.
type subStep struct {
	name string
	call *Call
	act  func(ctx context.Context) (ok bool, msg string)
	// verify is polled with fresh observations: PASS matches, FAIL stops at
	// once, anything else keeps polling until verify_timeout. It is also
	// asked before the call, with a zero since: PASS then means the target
	// is already in place and the call is skipped.
	verify func(s runbook.State, since time.Time) (checks.Verdict, string)
	// always runs the call even when verify already passes: the harness
	// must write a fresh report, and a cohort between 0 and 100% is only
	// ever estimated from a sample (see cohortSteps).
	always bool
}

// Plan resolves the calls of the action id and reads its gates live.
func (x *Executor) Plan(ctx context.Context, id string) (Plan, error) {
	id = normalizeID(id)
	env := x.world.Env()
	p := Plan{ID: id, Env: env.Name, Production: env.Production}
	if id != runbook.RollbackID {
		p.Item = runbook.FindItem(runbook.RunbookItems(), id)
		if p.Item == nil || p.Item.Kind == runbook.Rollback || p.Item.Kind == runbook.Incident {
			return Plan{}, fmt.Errorf("unknown action %q (want S1…S4, V1…V4, P1…P4 or rollback)", id)
		}
		p.Writes = p.Item.Writes
	} else {
		p.Writes = true
	}
	steps, err := x.stepsFor(id, env)
	if err != nil {
		return Plan{}, fmt.Errorf("planning %s: %w", id, err)
	}
	p.steps = steps
	for _, s := range steps {
		if s.call != nil {
			p.Calls = append(p.Calls, *s.call)
		}
	}
	if id == runbook.RollbackID {
		// A rollback has no gate: nothing to observe before it runs.
		p.At, p.GatesGreen = x.now(), true
		return p, nil
	}
	st := x.world.Observe(ctx)
	p.At = st.At
	p.Gates = x.world.Gates(st, id)
	p.GatesGreen = runbook.AllGreen(p.Gates)
	return p, nil
}

func normalizeID(id string) string {
	id = strings.TrimSpace(id)
	switch strings.ToLower(id) {
	case runbook.RollbackID:
		return runbook.RollbackID
	case runbook.WriteProbeID:
		return "V1"
	}
	return strings.ToUpper(id)
}

func (x *Executor) stepsFor(id string, env *config.Environment) ([]subStep, error) {
	switch id {
	case "S1":
		if env.Production {
			return nil, fmt.Errorf("S1 enables staging; %s is production and is promoted by S4's cohorts", env.Name)
		}
		return x.authoritySteps(env, true)
	case "S2", "V1":
		return []subStep{x.writeProbeStep(env)}, nil
	case "S3":
		return x.harnessSteps(env)
	case "S4":
		if !env.Production {
			return nil, fmt.Errorf("S4 promotes production; %s is not marked production: true", env.Name)
		}
		return x.cohortSteps(env)
	case runbook.RollbackID:
		return x.rollbackSteps(env)
	default:
		return nil, nil // P1–P4, V2–V4: checks only
	}
}

// authoritySteps is S1 (and the end of S4): Rust takes writes, writes go to
// Rust, legacy freezes; each verified by what the systems answer.
func (x *Executor) authoritySteps(env *config.Environment, withMode bool) ([]subStep, error) {
	var steps []subStep
	if withMode {
		s, err := x.writeModeStep(env, "rust_active")
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	route, err := x.routeStep(env, "rust")
	if err != nil {
		return nil, err
	}
	freeze, err := x.freezeStep(env, true)
	if err != nil {
		return nil, err
	}
	return append(steps, route, freeze), nil
}

func (x *Executor) writeModeStep(env *config.Environment, mode string) (subStep, error) {
	call, err := ResolveCall("set_rust_write_mode", env.Actuators.SetRustWriteMode,
		config.WriteModeValues{Env: env.Name, Mode: mode}, "set RUNTIME_AUTHORITY_WRITE_MODE="+mode+" (a new revision)")
	if err != nil {
		return subStep{}, err
	}
	want := []string{mode}
	if mode != "rust_active" {
		// Without /healthz the safe probe tells frozen from accepting, not
		// which frozen mode: frozen is what a freeze must achieve.
		want = append(want, runbook.ModeFrozen)
	}
	return subStep{name: "set_rust_write_mode=" + mode, call: &call,
		verify: observedEquals(func(o runbook.Observed) checks.Result { return o.RustWriteMode }, "rust write mode", want...)}, nil
}

func (x *Executor) routeStep(env *config.Environment, target string) (subStep, error) {
	call, err := ResolveCall("route_writes", env.Actuators.RouteWrites,
		config.RouteValues{Env: env.Name, Target: target}, "route writes to "+target)
	if err != nil {
		return subStep{}, err
	}
	return subStep{name: "route_writes=" + target, call: &call,
		verify: shareAfter(observedEquals(func(o runbook.Observed) checks.Result { return o.WriteTarget }, "write target", target))}, nil
}

func (x *Executor) freezeStep(env *config.Environment, freeze bool) (subStep, error) {
	call, err := ResolveCall("set_legacy_freeze", env.Actuators.SetLegacyFreeze,
		config.FreezeValues{Env: env.Name, Freeze: freeze}, "set LEGACY_RUNTIME_WRITE_FREEZE="+strconv.FormatBool(freeze))
	if err != nil {
		return subStep{}, err
	}
	want := "not frozen"
	if freeze {
		want = "frozen"
	}
	return subStep{name: "set_legacy_freeze=" + strconv.FormatBool(freeze), call: &call,
		verify: observedEquals(func(o runbook.Observed) checks.Result { return o.LegacyFreeze }, "legacy", want)}, nil
}

// observedEquals passes when a fresh observation (made after the action)
// shows one of want. A stale or unknown reading keeps polling: it proves
// nothing.
func observedEquals(pick func(runbook.Observed) checks.Result, what string, want ...string) func(runbook.State, time.Time) (checks.Verdict, string) {
	return func(s runbook.State, since time.Time) (checks.Verdict, string) {
		r := pick(s.Observed)
		line := fmt.Sprintf("%s: %s → want %s", what, r.Evidence, strings.Join(want, " or "))
		switch {
		case r.ObservedAt.Before(since):
			return checks.Unknown, line + " (observed before the action)"
		case r.Verdict == checks.Unknown:
			return checks.Unknown, line
		case slices.Contains(want, r.Evidence.Value):
			return checks.Pass, line
		default:
			return checks.Pending, line
		}
	}
}

// shareAfter lets a check on the rust write share pass only on data taken
// wholly after the change: a rate over a window that began before it still
// mixes in the old routing (a 5% cohort "observed" at 0.9% just after the
// call, or 100% before a rollback's route took effect).
func shareAfter(check func(runbook.State, time.Time) (checks.Verdict, string)) func(runbook.State, time.Time) (checks.Verdict, string) {
	return func(s runbook.State, since time.Time) (checks.Verdict, string) {
		v, line := check(s, since)
		if v != checks.Pass || since.IsZero() {
			return v, line
		}
		sample := s.Snapshot.Samples[runbook.ShareSignal]
		data := sample.DataAt
		if data.IsZero() {
			data = sample.At
		}
		if windowStart := data.Add(-sample.Window); windowStart.Before(since) {
			return checks.Pending, fmt.Sprintf("%s (its %s window still reaches back before the change; %s to go)",
				line, checks.ShortDuration(sample.Window), checks.ShortDuration(since.Sub(windowStart)))
		}
		return v, line
	}
}

func (x *Executor) writeProbeStep(env *config.Environment) subStep {
	call := Call{Actuator: "write_probe", HTTP: "POST " + strings.TrimRight(env.RustRuntime.URL, "/") + "/internal/v1/runs",
		Description: fmt.Sprintf("WRITES a labelled run (metadata.source=%s, worker_id=%s), then reads back receipt, replay, run summary, checkpoint and drift",
			env.WriteProbe.Source, env.WriteProbe.WorkerID)}
	return subStep{name: runbook.WriteProbeStep, call: &call, always: true, act: func(ctx context.Context) (bool, string) {
		if x.opts.WriteProbe == nil {
			return false, "the write probe is not available in this process"
		}
		rep, results := x.opts.WriteProbe.WriteProbe(ctx)
		x.world.NoteProbeRun(rep)
		// The failing checks first: a failed step's summary is its first
		// line, and it must name what failed, not what passed before it.
		slices.SortStableFunc(results, func(a, b checks.Result) int {
			ag, bg := a.Verdict.Green(), b.Verdict.Green()
			switch {
			case ag == bg:
				return 0
			case bg:
				return -1
			}
			return 1
		})
		lines := make([]string, len(results))
		vs := make([]checks.Verdict, len(results))
		for i, r := range results {
			lines[i] = r.ID + " " + r.Line(x.now())
			vs[i] = r.Verdict
		}
		return checks.Worst(vs...).Green(), strings.Join(lines, "\n")
	}}
}

// harnessSteps is S3: capture fresh snapshots of staged traffic (when a
// capture command is configured), run the harness into a report path unique
// to this run, then that report must say allow. A harness whose argv does
// not name {{.Report}} is judged on the newest report newer than the run.
func (x *Executor) harnessSteps(env *config.Environment) ([]subStep, error) {
	if len(env.Parity.Harness.Argv) == 0 && env.Parity.Harness.HTTP == nil {
		return nil, fmt.Errorf("parity.harness is not configured for %s", env.Name)
	}
	dir := filepath.Dir(env.Parity.Reports)
	stamp := x.now().UTC().Format("20060102T150405Z")
	values := config.HarnessValues{Env: env.Name, OutputDir: dir,
		Report:     filepath.Join(dir, fmt.Sprintf("parity-%s-%s.json", env.Name, stamp)),
		CaptureDir: filepath.Join(dir, "capture-"+stamp)}
	var steps []subStep
	if env.Parity.Capture != nil {
		capture, err := ResolveCall("parity.capture", env.Parity.Capture, values, "capture fresh snapshots of staged traffic into "+values.CaptureDir)
		if err != nil {
			return nil, err
		}
		steps = append(steps, subStep{name: "parity_capture", call: &capture, always: true})
	}
	call, err := ResolveCall("parity.harness", &env.Parity.Harness, values, "run the shadow parity harness, report "+values.Report)
	if err != nil {
		return nil, err
	}
	verify := x.newestReportAllows
	if namesReport(env.Parity.Harness) {
		verify = x.reportAllows(values.Report)
	}
	return append(steps, subStep{name: "parity_harness", call: &call, always: true, verify: verify}), nil
}

// namesReport says whether the harness is told its report path.
func namesReport(a config.Action) bool {
	texts := slices.Clone(a.Argv)
	if a.HTTP != nil {
		texts = append(texts, a.HTTP.URL, a.HTTP.Body)
	}
	return slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, "{{.Report}}") })
}

// reportAllows judges the one report this run wrote: a block fails at once
// (the harness exits 1 on block; only the report says why).
func (x *Executor) reportAllows(path string) func(runbook.State, time.Time) (checks.Verdict, string) {
	return func(s runbook.State, _ time.Time) (checks.Verdict, string) {
		env := x.world.Env()
		policy := config.ParityPolicy{BlockOnCritical: true}
		if x.opts.Config != nil {
			policy = x.opts.Config.Parity
		}
		pr := checks.ReadParity(path, env.Parity.MaxAge.D(), policy, s.At)
		return reportVerdict(runbook.ParityOf(pr), pr.WithinThresholds.Evidence.Reason)
	}
}

// newestReportAllows judges the newest report, once it is newer than the run.
func (x *Executor) newestReportAllows(s runbook.State, since time.Time) (checks.Verdict, string) {
	p := s.Parity
	if p.Path == "" || p.Generated.Before(since.Truncate(time.Second)) {
		v, line := reportVerdict(p, "")
		if v != checks.Unknown {
			line = "no report newer than the harness run: " + line
		}
		return checks.Unknown, line
	}
	return reportVerdict(p, "")
}

func reportVerdict(p runbook.ParityStatus, reason string) (checks.Verdict, string) {
	line := fmt.Sprintf("%s → decision %q, critical %d, warning %d, generated %s",
		p.Path, p.Decision, p.Critical, p.Warning, p.Generated.UTC().Format(time.RFC3339))
	if reason != "" {
		line += " (" + reason + ")"
	}
	switch p.Decision {
	case "allow":
		return checks.Pass, line
	case "block":
		return checks.Fail, line
	}
	if p.Result.Evidence.Reason != "" {
		line += " (" + p.Result.Evidence.Reason + ")"
	}
	return checks.Unknown, line
}

// cohortSteps is S4: Rust takes writes, then each cohort is set, verified
// by the observed share and soaked while incidents are watched; at 100%
// writes are routed to Rust and legacy is frozen, as S1 left staging.
//
// A partial cohort is always set, never judged "already in place": its
// share is a sample of the window's runs (sticky per user, five writes a
// run), so the cohort before it can read within tolerance of it by chance
// (a 5% cohort read 21% on a window of 20 runs, and S4 skipped 25%), while
// setting a percentage already in force moves no user (the bucketing is a
// hash of the user). 100% is exact: no write went to legacy.
func (x *Executor) cohortSteps(env *config.Environment) ([]subStep, error) {
	mode, err := x.writeModeStep(env, "rust_active")
	if err != nil {
		return nil, err
	}
	steps := []subStep{mode}
	for _, pct := range env.Cohorts {
		call, err := ResolveCall("set_cohort", env.Actuators.SetCohort,
			config.CohortValues{Env: env.Name, Percent: pct}, fmt.Sprintf("send %d%% of writes to rust", pct))
		if err != nil {
			return nil, err
		}
		steps = append(steps,
			subStep{name: fmt.Sprintf("set_cohort=%d", pct), call: &call, always: pct < 100, verify: shareAfter(x.cohortShare(pct))},
			subStep{name: fmt.Sprintf("soak %d%% for %s", pct, env.Soak.D()), act: x.soak(env.Soak.D())})
	}
	final, err := x.authoritySteps(env, false)
	if err != nil {
		return nil, err
	}
	return append(steps, final...), nil
}

func (x *Executor) cohortShare(pct int) func(runbook.State, time.Time) (checks.Verdict, string) {
	return func(s runbook.State, since time.Time) (checks.Verdict, string) {
		got := s.Observed.CohortPercent
		line := fmt.Sprintf("observed rust share %.1f%% → want %d%% ± %.0f", got, pct, x.opts.CohortTolerance)
		switch {
		case s.At.Before(since), math.IsNaN(got):
			return checks.Unknown, line
		case (pct > 0 && got == 0) || (pct < 100 && got == 100):
			// Within tolerance of a small cohort, but exactly what an
			// unchanged world shows: that proves nothing yet.
			return checks.Pending, line
		case math.Abs(got-float64(pct)) <= x.opts.CohortTolerance:
			return checks.Pass, line
		default:
			return checks.Pending, line
		}
	}
}
