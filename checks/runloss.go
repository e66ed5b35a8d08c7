package checks

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// RunLoss is what the write probe found when the run it had just written
// answered 404 not_found. The Rust runtime keeps runs in one process's
// memory (docs/runtime-facts.md §8), so there are two explanations: the runtime
// restarted since the write, or another instance without shared state
// answered. The probe re-reads the run and /healthz to tell them apart.
type RunLoss struct {
	RunID string `json:"run_id"`
	// Step is the probe step whose request got the 404.
	Step string `json:"step"`
	// SeenAgain: a re-read found the run; Missed: a re-read did not. Both
	// is several instances (no restart brings a run back); found on every
	// re-read, the run is there and only the step's artifact was missing.
	SeenAgain bool `json:"seen_again"`
	Missed    bool `json:"missed"`
	// Restarted says how a process started after the write shows; "" when
	// every process /healthz showed was already up at the write.
	Restarted string `json:"restarted,omitempty"`
	// Instances are the processes /healthz showed, by when they started.
	Instances []string `json:"instances,omitempty"`
}

// SeveralInstances says whether the loss shows several instances without
// shared state: the run answered both found and unknown, or it stayed
// unknown with no process restarted since the write (a run unknown on the
// read that follows its successful write).
func (l RunLoss) SeveralInstances() bool {
	if l.SeenAgain {
		return l.Missed
	}
	return l.Restarted == ""
}

// Line says what the loss means, and what to do about it.
func (l RunLoss) Line() string {
	head := fmt.Sprintf("run %s was written (201) and then unknown (404 not_found) to %s", l.RunID, l.Step)
	switch {
	case l.SeenAgain && !l.Missed:
		return fmt.Sprintf("run %s answered 404 not_found to %s but was found on every re-read: the artifact is missing, not the run", l.RunID, l.Step)
	case !l.SeveralInstances():
		return head + ": the runtime restarted since the write (" + l.Restarted + ") and runs live in memory only: probe again once it is stable"
	}
	if l.SeenAgain {
		head += ", and found again on a later read"
	}
	seen := ""
	switch n := len(l.Instances); {
	case n == 1:
		seen = " (/healthz shows one start time, " + l.Instances[0] + ": the instances started together)"
	case n > 1:
		seen = fmt.Sprintf(" (/healthz shows %d: %s)", n, strings.Join(l.Instances, ", "))
	}
	return head + "; no restart observed: several Rust instances without shared state serve this URL" + seen +
		". Runs live in one instance's memory: before authority moves, run one instance (replicas / max instances 1)" +
		" or turn on session affinity so a run's requests reach the instance that holds it"
}

// lossReads is how many times the run and /healthz are re-read after a
// loss: two instances spread at random both show within 12 reads but for a
// chance of 1 in 2048.
const lossReads = 12

// lost turns the 404 not_found a probe step got for the probe's own run
// into a FAIL that says why (RunLoss), and keeps the loss in the report.
func (w *writeProbe) lost(r Result) Result {
	l := w.diagnose(r.Title)
	w.report.Loss = &l
	r.Verdict = Fail
	r.Evidence.Value = "404 not_found for run " + w.report.RunID
	r.Evidence.Reason = l.Line()
	return r
}

// diagnose re-reads the lost run and /healthz, alternately, until the run
// has been both found and missed and two processes are seen, or lossReads
// rounds pass.
func (w *writeProbe) diagnose(step string) RunLoss {
	l := RunLoss{RunID: w.report.RunID, Step: step}
	runURL := w.p.rustURL("/internal/v1/runs/" + url.PathEscape(w.report.RunID))
	healthURL := w.p.rustURL(pathOr(w.p.env.RustRuntime.HealthPath, "/healthz"))
	var procs []runtimeSight
	for range lossReads {
		rep, err := w.p.do(w.ctx, rustSide, http.MethodGet, runURL, nil, nil)
		switch {
		case err == nil && rep.status == http.StatusOK:
			l.SeenAgain = true
		case err == nil && isNotFound(rep):
			l.Missed = true
		}
		rep, err = w.p.do(w.ctx, rustSide, http.MethodGet, healthURL, nil, nil)
		if s, err := (answer{rep, err}).sight(); err == nil {
			procs = addProcess(procs, s)
		}
		if l.SeenAgain && l.Missed && len(procs) > 1 || w.ctx.Err() != nil {
			break
		}
	}
	for _, s := range procs {
		since := s.startedAt().UTC().Format("15:04:05Z")
		l.Instances = append(l.Instances, "up since "+since)
		// The estimate is never earlier than the true start: a process
		// estimated to start after the write may have, so it counts.
		if l.Restarted == "" && s.startedAt().After(w.written) {
			l.Restarted = fmt.Sprintf("a process up since %s, after the write at %s", since, w.written.UTC().Format("15:04:05Z"))
		}
	}
	return l
}

// addProcess adds a /healthz sight to the processes seen unless one of them
// started at the same time (within restartSlack); the list stays sorted by
// start.
func addProcess(procs []runtimeSight, s runtimeSight) []runtimeSight {
	for _, p := range procs {
		if d := p.startedAt().Sub(s.startedAt()); d.Abs() <= restartSlack {
			return procs
		}
	}
	procs = append(procs, s)
	slices.SortFunc(procs, func(a, b runtimeSight) int { return cmp.Compare(a.startedAt().UnixNano(), b.startedAt().UnixNano()) })
	return procs
}

// RunHeld re-checks a passed write probe's evidence: its run, written at
// probedAt, must still exist on the runtime. Runs live in memory only, so
// a restart since the probe (a redeploy, a mode change) loses it and the
// probe proves nothing about the process serving now. PASS while the run
// answers 200; FAIL on 404 not_found, saying whether the runtime restarted
// since the probe (/healthz's uptime) or another instance answered;
// UNKNOWN on anything else.
func (p *Probes) RunHeld(ctx context.Context, runID string, probedAt time.Time) Result {
	u := p.rustURL("/internal/v1/runs/" + url.PathEscape(runID))
	r := result("write_probe.run_held", "the write probe's run still exists", "GET "+u, p.now())
	r.Evidence.Rule = "200: the run written at " + probedAt.UTC().Format(time.RFC3339) + " is still held"
	rep, err := p.do(ctx, rustSide, http.MethodGet, u, nil, nil)
	r.ObservedAt = rep.at
	switch {
	case err != nil:
		return unreachable(r, err)
	case rep.status == http.StatusOK:
		r.Verdict, r.Evidence.Value = Pass, "200 run "+runID
		return r
	case !isNotFound(rep):
		return unexpected(r, rep)
	}
	r.Verdict, r.Evidence.Value = Fail, "404 not_found for run "+runID
	hrep, err := p.do(ctx, rustSide, http.MethodGet, p.rustURL(pathOr(p.env.RustRuntime.HealthPath, "/healthz")), nil, nil)
	s, err := (answer{hrep, err}).sight()
	switch {
	case err != nil:
		r.Evidence.Reason = "probe again: the run is gone (whether the runtime restarted is unknown: " + err.Error() + ")"
	case s.startedAt().After(probedAt):
		r.Evidence.Reason = fmt.Sprintf("probe again: the runtime restarted since the probe (up since %s, probe at %s): its runs live in memory only",
			s.startedAt().UTC().Format(time.RFC3339), probedAt.UTC().Format(time.RFC3339))
	default:
		r.Evidence.Reason = fmt.Sprintf("probe again: the run is unknown to a process up since %s, before the probe: another instance answered (several instances without shared state: see P3)",
			s.startedAt().UTC().Format(time.RFC3339))
	}
	return r
}
