package runbook

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
)

// probeWriteRun is the journal check name of a write probe's run: PASS when
// the probe passed (the run V1 and S2 rest on), FAIL when the run was
// unknown right after its write with no restart (several instances).
const probeWriteRun = "probe.write_run"

// JournaledRun is one write probe's run as its engine journaled it.
type JournaledRun struct {
	At       time.Time      `json:"at"`
	RunID    string         `json:"run_id"`
	Verdict  checks.Verdict `json:"verdict"`
	Evidence string         `json:"evidence"`
	Operator string         `json:"operator"`
	Host     string         `json:"host"`
}

// runIDInEvidence finds the run id the evidence names first (a UUID).
var runIDInEvidence = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// foldProbeRun takes a journaled probe run into ProbeRun or RunLost.
func (h *History) foldProbeRun(rec *journal.Record) {
	if rec.Check != probeWriteRun {
		return
	}
	var v checks.Verdict
	id := runIDInEvidence.FindString(rec.Evidence)
	if v.UnmarshalText([]byte(rec.Verdict)) != nil || id == "" {
		return
	}
	run := JournaledRun{At: rec.Time, RunID: id, Verdict: v, Evidence: rec.Evidence, Operator: rec.Operator, Host: rec.Host}
	switch {
	case v == checks.Pass && !rec.Time.Before(h.ProbeRun.At):
		h.ProbeRun = run
	case v == checks.Fail && !rec.Time.Before(h.RunLost.At):
		h.RunLost = run
	}
}

// journalProbeRun journals what a write probe's run says about the
// runtime: a passed probe's run (its reads all found it), or a run unknown
// right after its write with no restart. A probe that failed otherwise
// proves neither and journals nothing here.
func (e *Engine) journalProbeRun(rep checks.WriteProbeReport) {
	if e.journal == nil || rep.RunID == "" {
		return
	}
	var verdict, line string
	switch {
	case rep.Loss != nil && rep.Loss.SeveralInstances():
		verdict, line = checks.Fail.String(), rep.Loss.Line()
	case rep.OK:
		verdict, line = checks.Pass.String(), fmt.Sprintf("run %s found on each of the %d requests after its write", rep.RunID, rep.ReadBack)
	default:
		return
	}
	err := e.journal.Append(journal.Record{Time: e.now(), Kind: journal.KindVerdict, Env: e.env.Name,
		Check: probeWriteRun, Verdict: verdict, Evidence: line})
	if err != nil {
		e.logger.Error("journaling the write probe's run", "run", rep.RunID, "err", err)
	}
}

// probeRunHeld reads whether the passed probe's run (the one V1 and S2
// rest on) still exists; zero when no passed probe is journaled.
func (e *Engine) probeRunHeld(ctx context.Context, h History) checks.Result {
	if h.ProbeRun.RunID == "" {
		return checks.Result{}
	}
	return e.probes.RunHeld(ctx, h.ProbeRun.RunID, h.ProbeRun.At)
}

// instancesCheck is P3's topology check: the Rust runtime keeps runs in
// one process's memory, so authority on several instances without shared
// state loses runs. FAIL when the newest journaled probe run was unknown
// right after its write (no restart) and no probe passed since; PASS when
// a probe passed since, or none has run (only a probe can tell: the
// reason says so).
func (r *round) instancesCheck() checks.Result {
	h := r.o.history
	res := checks.Result{ID: "rust.instances", Title: "runs stay on one rust instance", ObservedAt: r.o.at,
		Evidence: checks.Evidence{Source: "journal (" + probeWriteRun + ")", Rule: "no write probe run unknown right after its write"}}
	switch {
	case !h.RunLost.At.IsZero() && h.RunLost.At.After(h.ProbeRun.At):
		res.Verdict = checks.Fail
		res.Evidence.Value = h.RunLost.Evidence
		res.Evidence.Reason = "probed " + h.RunLost.At.UTC().Format(time.RFC3339) + "; a write probe that passes afterwards (V1) clears this"
	case !h.ProbeRun.At.IsZero():
		res.Verdict = checks.Pass
		res.Evidence.Value = h.ProbeRun.Evidence + " (" + h.ProbeRun.At.UTC().Format(time.RFC3339) + ")"
	default:
		res.Verdict = checks.Pass
		res.Evidence.Value = "no run lost between instances: no write probe yet"
		res.Evidence.Reason = "only a write probe (S2/V1) can tell: runs live in one instance's memory, so several instances need session affinity"
	}
	return res
}
