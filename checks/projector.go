package checks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
)

// ProjectorWatch judges checkpoint regression and drift from the Rust
// runtime's own projector endpoints, for the runs the cockpit wrote (the
// write probe's) or observed (parity reports' rust_run_id). The runtime
// exports no checkpoint metric, so this is the only way to see a checkpoint
// go backwards.
//
// It remembers the highest checkpoint last_seq ever seen per run in a small
// JSON file, so that short-lived processes (each `cockpit check incidents`)
// share one memory: a regression below what an earlier process saw is still
// a regression. It is safe for concurrent use; two processes sharing the
// file merge their memories (the highest seq wins) rather than overwrite
// them, though without a lock a Watch racing another process's save can be
// lost.
type ProjectorWatch struct {
	p    *Probes
	path string
	max  int

	mu   sync.Mutex
	runs []watchedRun // oldest watched first, at most max
	note string       // a state-file problem not yet shown in evidence
}

// DefaultProjectorWatchMax is how many runs a watch keeps when its
// constructor is given no bound: the newest 20.
const DefaultProjectorWatchMax = 20

// ProjectorNoRuns is Evidence.Value of both results while no run is
// watched: NotJudged (the endpoints answer, but there is nothing to judge:
// no green from silence), which a screen shows as such.
const ProjectorNoRuns = "0 runs watched"

// projectorNoRunsReason says what to do about ProjectorNoRuns.
const projectorNoRunsReason = "no run written by the cockpit yet (S2/V1 write one)"

// lostOnRestart is the reason of a checkpoint that vanished across a restart.
const lostOnRestart = "checkpoint lost on restart (runs live in memory; the projection state file did not survive)"

// otherInstance explains a checkpoint that 404s with no restart seen.
const otherInstance = "another instance answered (runs and projector state live in each instance's memory: see P3)"

// ProjectorWatchPath is the conventional state file of env's watch.
func ProjectorWatchPath(stateDir, env string) string {
	return filepath.Join(stateDir, env, "projector-watch.json")
}

// NewProjectorWatch prepares a watch whose memory lives at statePath; max
// bounds the runs watched (the newest are kept; DefaultProjectorWatchMax
// when max <= 0). The file is read now and before each Observe: a missing
// one starts empty, a corrupt one is set aside (statePath + ".corrupt") and
// said once in the evidence.
func NewProjectorWatch(p *Probes, statePath string, max int) *ProjectorWatch {
	if max <= 0 {
		max = DefaultProjectorWatchMax
	}
	w := &ProjectorWatch{p: p, path: statePath, max: max}
	w.mu.Lock()
	w.reload()
	w.mu.Unlock()
	return w
}

// watchedRun is one run's memory, as stored in the state file.
type watchedRun struct {
	RunID     string    `json:"run_id"`
	WatchedAt time.Time `json:"watched_at"`
	// MaxSeq is the highest checkpoint last_seq ever seen; nil while the
	// checkpoint has never been seen (a run recorded on another instance).
	MaxSeq    *uint64   `json:"max_seq,omitempty"`
	MaxSeenAt time.Time `json:"max_seen_at,omitzero"`
	// Runtime is the runtime's /healthz the last time the checkpoint was
	// answered: a later 404 is "lost on restart" only if it restarted since.
	Runtime *runtimeSight `json:"runtime,omitempty"`
}

// runtimeSight is what /healthz said about the runtime process, and when.
type runtimeSight struct {
	BuildSHA      string    `json:"build_sha"`
	UptimeSeconds int64     `json:"uptime_seconds"`
	ObservedAt    time.Time `json:"observed_at"`
}

// startedAt estimates when the process started, on the cockpit's clock.
func (s runtimeSight) startedAt() time.Time {
	return s.ObservedAt.Add(-time.Duration(s.UptimeSeconds) * time.Second)
}

// restartSlack absorbs uptime's whole seconds and request latency when two
// sights' start estimates are compared.
const restartSlack = 5 * time.Second

// restartedBy reports whether the process seen in now is a later one than
// the process seen in s, and how that shows.
func (s runtimeSight) restartedBy(now runtimeSight) (bool, string) {
	switch {
	case now.BuildSHA != s.BuildSHA:
		return true, fmt.Sprintf("build %s → %s", clip(s.BuildSHA), clip(now.BuildSHA))
	case now.UptimeSeconds < s.UptimeSeconds:
		return true, fmt.Sprintf("uptime %ds → %ds", s.UptimeSeconds, now.UptimeSeconds)
	case now.startedAt().After(s.startedAt().Add(restartSlack)):
		return true, fmt.Sprintf("up since %s, was since %s", now.startedAt().UTC().Format(time.RFC3339), s.startedAt().UTC().Format(time.RFC3339))
	}
	return false, fmt.Sprintf("same process: build %s, up %ds", clip(now.BuildSHA), now.UptimeSeconds)
}

// watchFile is the state file.
type watchFile struct {
	Version int          `json:"version"`
	Runs    []watchedRun `json:"runs"`
}

const watchFileVersion = 1

// maxWatchFile bounds the state file read: 20 runs take about 5 KiB.
const maxWatchFile = 1 << 20

// runIDPattern is a run id as the runtime issues them (a UUID). Ids come
// from outside (parity reports) and go into URLs, so nothing else is taken.
var runIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Watch adds a run to the watch (a no-op when it is already watched) and
// saves the memory, so the next process sees it. Only the newest max runs
// are kept. A run id that is not a UUID is refused.
func (w *ProjectorWatch) Watch(runID string) error {
	id := strings.ToLower(strings.TrimSpace(runID))
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("projector watch: run id %q is not a UUID", clip(runID))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if slices.ContainsFunc(w.runs, func(r watchedRun) bool { return r.RunID == id }) {
		return nil
	}
	w.runs = mergeRuns(w.runs, []watchedRun{{RunID: id, WatchedAt: w.p.now()}}, w.max)
	return w.save()
}

// Watched lists the watched run ids, oldest first.
func (w *ProjectorWatch) Watched() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, len(w.runs))
	for i, r := range w.runs {
		ids[i] = r.RunID
	}
	return ids
}

// Observe reads, concurrently and under the probes' timeout, every watched
// run's checkpoint and its topic's drift report, plus /healthz (to tell a
// restart), and returns two Results.
//
// checkpoint: FAIL when a run's last_seq is below the highest seen before;
// WARN when a checkpoint seen before now 404s, after a restart
// (lostOnRestart) or from a process already up when it was seen (another
// instance answered: otherInstance); UNKNOWN when an
// endpoint gives no or an unexpected answer, or a vanished checkpoint
// cannot be placed before or after a restart; PASS when every run is at or
// above its maximum. A run whose checkpoint was never seen is not judged.
//
// drift: FAIL when a run's topic has a drift report, PASS when every topic
// answers 404 not_found (no drift), UNKNOWN on anything else.
//
// With no run watched, both are NotJudged with Evidence.Value
// ProjectorNoRuns once the endpoints answer as for an unknown run (UNKNOWN
// if they do not).
func (w *ProjectorWatch) Observe(ctx context.Context) (checkpoint, drift Result) {
	start := w.p.now()
	w.mu.Lock()
	w.reload()
	runs := slices.Clone(w.runs)
	w.mu.Unlock()

	cpSource := "GET " + w.p.rustURL("/internal/v1/projectors/checkpoints/:run_id")
	driftSource := "GET " + w.p.rustURL("/internal/v1/projectors/drift?topic=run:<run_id>:events")
	checkpoint = result("projector.checkpoint_regression", "checkpoint regression (watched runs)", cpSource, start)
	drift = result("projector.drift", "drift on watched runs' topics", driftSource, start)
	checkpoint.Evidence.Rule = "each run's last_seq ≥ the highest seen before; seen then 404 = lost"
	drift.Evidence.Rule = "404 not_found = no drift"

	if len(runs) == 0 {
		checkpoint, drift = w.observeNone(ctx, checkpoint, drift)
	} else {
		healthSource := "GET " + w.p.rustURL(pathOr(w.p.env.RustRuntime.HealthPath, "/healthz"))
		checkpoint.Evidence.Source += " + " + healthSource
		rd := w.read(ctx, runs)
		checkpoint = w.judgeCheckpoints(checkpoint, runs, rd)
		drift = judgeDrift(drift, runs, rd)
		checkpoint.ObservedAt, drift.ObservedAt = rd.at(start), rd.at(start)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if len(runs) > 0 {
		w.runs = mergeRuns(w.runs, runs, w.max)
		if err := w.save(); err != nil {
			checkpoint.Evidence.Reason = joinReason(checkpoint.Evidence.Reason, err.Error()+" (the next process will not remember these seqs)")
			if checkpoint.Verdict == Pass {
				checkpoint.Verdict = Warn
			}
		}
	}
	if w.note != "" {
		checkpoint.Evidence.Reason = joinReason(checkpoint.Evidence.Reason, w.note)
		drift.Evidence.Reason = joinReason(drift.Evidence.Reason, w.note)
		w.note = ""
	}
	return checkpoint, drift
}

// Len is how many runs are watched.
func (w *ProjectorWatch) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs)
}

// nilRun names no run: the endpoints answer it as an unknown run.
const nilRun = "00000000-0000-0000-0000-000000000000"

// observeNone answers while no run is watched: the endpoints are still
// asked about a run that cannot exist, so an unreachable runtime is UNKNOWN
// rather than a quiet PASS.
func (w *ProjectorWatch) observeNone(ctx context.Context, cp, dr Result) (Result, Result) {
	var reps [2]reply
	var errs [2]error
	var wg sync.WaitGroup
	for i, path := range []string{checkpointPath(nilRun), driftPath(nilRun)} {
		wg.Go(func() { reps[i], errs[i] = w.get(ctx, path) })
	}
	wg.Wait()
	judge := func(r Result, rep reply, err error) Result {
		r.ObservedAt = cmp.Or(rep.at, r.ObservedAt)
		if err != nil {
			return unreachable(r, err)
		}
		if !isNotFound(rep) {
			return unexpected(r, rep)
		}
		r.Verdict, r.Evidence.Value, r.Evidence.Reason = NotJudged, ProjectorNoRuns, projectorNoRunsReason
		return r
	}
	return judge(cp, reps[0], errs[0]), judge(dr, reps[1], errs[1])
}

func checkpointPath(runID string) string {
	return "/internal/v1/projectors/checkpoints/" + url.PathEscape(runID)
}

func driftPath(runID string) string {
	return "/internal/v1/projectors/drift?topic=" + url.QueryEscape("run:"+runID+":events")
}

// get sends one read to the Rust runtime, with its configured headers.
func (w *ProjectorWatch) get(ctx context.Context, path string) (reply, error) {
	return w.p.do(ctx, rustSide, http.MethodGet, w.p.rustURL(path), nil, nil)
}

// answer is one request's outcome.
type answer struct {
	rep reply
	err error
}

// readings are one Observe's answers, indexed like its runs.
type readings struct {
	health      answer
	checkpoints []answer
	drifts      []answer
}

// at is when the earliest request was sent, or def when none was.
func (rd readings) at(def time.Time) time.Time {
	var first time.Time
	for _, a := range slices.Concat([]answer{rd.health}, rd.checkpoints, rd.drifts) {
		if !a.rep.at.IsZero() && (first.IsZero() || a.rep.at.Before(first)) {
			first = a.rep.at
		}
	}
	return cmp.Or(first, def)
}

// maxConcurrentReads bounds the requests an Observe has in flight.
const maxConcurrentReads = 8

// read asks /healthz and, for each run, its checkpoint and drift report.
func (w *ProjectorWatch) read(ctx context.Context, runs []watchedRun) readings {
	rd := readings{checkpoints: make([]answer, len(runs)), drifts: make([]answer, len(runs))}
	sem := make(chan struct{}, maxConcurrentReads)
	var wg sync.WaitGroup
	ask := func(dst *answer, path string) {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dst.rep, dst.err = w.get(ctx, path)
		})
	}
	ask(&rd.health, pathOr(w.p.env.RustRuntime.HealthPath, "/healthz"))
	for i, r := range runs {
		ask(&rd.checkpoints[i], checkpointPath(r.RunID))
		ask(&rd.drifts[i], driftPath(r.RunID))
	}
	wg.Wait()
	return rd
}

// sight reads /healthz's answer; err says why it tells nothing.
func (a answer) sight() (runtimeSight, error) {
	if a.err != nil {
		return runtimeSight{}, fmt.Errorf("no answer from health: %w", a.err)
	}
	var body struct {
		Status        string `json:"status"`
		BuildSHA      string `json:"build_sha"`
		UptimeSeconds *int64 `json:"uptime_seconds"`
	}
	if a.rep.status != http.StatusOK || !decode(a.rep.body, &body) || body.Status != "ok" || body.UptimeSeconds == nil {
		return runtimeSight{}, fmt.Errorf("health answered %d %s", a.rep.status, bodyExcerpt(a.rep.body))
	}
	return runtimeSight{BuildSHA: body.BuildSHA, UptimeSeconds: *body.UptimeSeconds, ObservedAt: a.rep.at}, nil
}

// isNotFound is the runtime's 404 {"error":"not_found"}.
func isNotFound(rep reply) bool {
	var e rustError
	return rep.status == http.StatusNotFound && decode(rep.body, &e) && e.Error == "not_found"
}

// finding is one run's verdict with what to say about it.
type finding struct {
	verdict Verdict
	detail  string
}

// judgeCheckpoints judges every run's checkpoint answer and updates runs
// (max seq, runtime sight) for saving.
func (w *ProjectorWatch) judgeCheckpoints(r Result, runs []watchedRun, rd readings) Result {
	now, healthErr := rd.health.sight()
	var found []finding
	var ok, never, lost int
	for i := range runs {
		run := &runs[i]
		a := rd.checkpoints[i]
		f, judged := judgeCheckpoint(run, a, now, healthErr)
		if !judged {
			never++
			continue
		}
		found = append(found, f)
		switch f.verdict {
		case Pass:
			ok++
		case Warn:
			if !strings.HasSuffix(f.detail, otherInstance) {
				lost++
			}
		}
		if a.rep.status != http.StatusOK || !hasCheckpoint(a.rep) {
			continue
		}
		// The runtime holds the checkpoint: remember it, and the process
		// that held it, so a later 404 can be placed before or after a restart.
		if healthErr == nil {
			run.Runtime = &now
		}
		if seq := checkpointSeq(a.rep); run.MaxSeq == nil || seq > *run.MaxSeq {
			run.MaxSeq, run.MaxSeenAt = &seq, a.rep.at
		}
	}
	r.Evidence.Value = fmt.Sprintf("%d runs watched: %d at or above their highest seq", len(runs), ok)
	if never > 0 {
		r.Evidence.Value += fmt.Sprintf(", %d never seen here (not judged)", never)
	}
	if len(found) == 0 {
		// Nothing judged is not a pass (no green from silence).
		r.Verdict = NotJudged
		r.Evidence.Reason = "no watched run's checkpoint has been seen on this runtime yet (recorded on another instance, or lost before it was seen)"
		return r
	}
	r.Verdict = Worst(verdictsOf(found)...)
	r.Evidence.Value += details(found)
	if lost > 0 {
		r.Evidence.Reason = lostOnRestart
	}
	return r
}

// judgeCheckpoint judges one run; judged is false for a run whose
// checkpoint 404s and was never seen (e.g. a parity run recorded on
// another instance), which is not judged at all.
func judgeCheckpoint(run *watchedRun, a answer, now runtimeSight, healthErr error) (f finding, judged bool) {
	name := "run " + run.RunID
	switch {
	case a.err != nil:
		return finding{Unknown, name + ": " + unreachable(Result{}, a.err).Evidence.Reason}, true
	case a.rep.status == http.StatusOK && hasCheckpoint(a.rep):
		seq := checkpointSeq(a.rep)
		if run.MaxSeq != nil && seq < *run.MaxSeq {
			return finding{Fail, fmt.Sprintf("%s: last_seq %d < %d seen at %s", name, seq, *run.MaxSeq, run.MaxSeenAt.UTC().Format(time.RFC3339))}, true
		}
		return finding{verdict: Pass}, true
	case isNotFound(a.rep):
		if run.MaxSeq == nil {
			return finding{}, false
		}
		gone := fmt.Sprintf("%s: 404 after last_seq %d", name, *run.MaxSeq)
		switch {
		case healthErr != nil:
			return finding{Unknown, gone + "; whether the runtime restarted is unknown: " + healthErr.Error()}, true
		case run.Runtime == nil:
			return finding{Unknown, gone + "; the runtime's health was never read while the checkpoint was there, so a restart cannot be told"}, true
		}
		restarted, how := run.Runtime.restartedBy(now)
		if restarted {
			return finding{Warn, gone + ", lost on restart (" + how + ")"}, true
		}
		// The runtime never drops a live process's checkpoint, so a 404 on a
		// process already up when it was seen is another process answering:
		// several instances without shared state (P3 says so), not a
		// checkpoint going backwards.
		return finding{Warn, gone + " from a process already up when it was seen (" + how + "): " + otherInstance}, true
	default:
		return finding{Unknown, fmt.Sprintf("%s: unexpected answer %d %s", name, a.rep.status, bodyExcerpt(a.rep.body))}, true
	}
}

// checkpointBody is the checkpoint endpoint's answer.
type checkpointBody struct {
	Checkpoint *struct {
		LastSeq *uint64 `json:"last_seq"`
	} `json:"checkpoint"`
}

func hasCheckpoint(rep reply) bool {
	var b checkpointBody
	return decode(rep.body, &b) && b.Checkpoint != nil && b.Checkpoint.LastSeq != nil
}

// checkpointSeq is the answer's last_seq; call hasCheckpoint first.
func checkpointSeq(rep reply) uint64 {
	var b checkpointBody
	_ = decode(rep.body, &b)
	return *b.Checkpoint.LastSeq
}

// judgeDrift judges every run topic's drift answer.
func judgeDrift(r Result, runs []watchedRun, rd readings) Result {
	var found []finding
	clean := 0
	for i, run := range runs {
		a := rd.drifts[i]
		name := "run:" + run.RunID + ":events"
		var body struct {
			Drift *struct {
				ExpectedNextSeq uint64 `json:"expected_next_seq"`
				LastSeenSeq     uint64 `json:"last_seen_seq"`
				IncomingSeq     uint64 `json:"incoming_seq"`
				Reason          string `json:"reason"`
				DetectedAt      string `json:"detected_at"`
			} `json:"drift"`
		}
		switch {
		case a.err != nil:
			found = append(found, finding{Unknown, name + ": " + unreachable(Result{}, a.err).Evidence.Reason})
		case isNotFound(a.rep):
			clean++
		case a.rep.status == http.StatusOK && decode(a.rep.body, &body) && body.Drift != nil:
			d := body.Drift
			found = append(found, finding{Fail, fmt.Sprintf("%s: %s expected_next_seq %d last_seen_seq %d incoming_seq %d (detected %s)",
				name, clip(d.Reason), d.ExpectedNextSeq, d.LastSeenSeq, d.IncomingSeq, clip(d.DetectedAt))})
		default:
			found = append(found, finding{Unknown, fmt.Sprintf("%s: unexpected answer %d %s", name, a.rep.status, bodyExcerpt(a.rep.body))})
		}
	}
	r.Verdict = Worst(append(verdictsOf(found), Pass)...)
	r.Evidence.Value = fmt.Sprintf("%d runs watched: %d without drift", len(runs), clean) + details(found)
	return r
}

func verdictsOf(fs []finding) []Verdict {
	vs := make([]Verdict, len(fs))
	for i, f := range fs {
		vs[i] = f.verdict
	}
	return vs
}

// maxDetails bounds the runs named in one piece of evidence.
const maxDetails = 3

// details names the worst findings first, at most maxDetails of them.
func details(fs []finding) string {
	rank := map[Verdict]int{Fail: 0, Unknown: 1, Pending: 2, Warn: 3}
	var shown []finding
	for _, f := range fs {
		if f.detail != "" {
			shown = append(shown, f)
		}
	}
	slices.SortStableFunc(shown, func(a, b finding) int { return cmp.Compare(rank[a.verdict], rank[b.verdict]) })
	var b strings.Builder
	for i, f := range shown {
		if i == maxDetails {
			fmt.Fprintf(&b, "; +%d more", len(shown)-maxDetails)
			break
		}
		fmt.Fprintf(&b, "; %s %s", f.verdict, f.detail)
	}
	return b.String()
}

// clip bounds one outside string for evidence.
func clip(s string) string {
	if s == "" {
		return `""`
	}
	return bodyExcerpt([]byte(s))
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// mergeRuns combines two memories of the same watch: a run's highest seq
// and latest runtime sight win, its first watch time stays; the newest max
// runs (by first watch) are kept, oldest first.
func mergeRuns(a, b []watchedRun, max int) []watchedRun {
	byID := map[string]watchedRun{}
	for _, r := range slices.Concat(a, b) {
		have, ok := byID[r.RunID]
		if !ok {
			byID[r.RunID] = r
			continue
		}
		if !r.WatchedAt.IsZero() && (have.WatchedAt.IsZero() || r.WatchedAt.Before(have.WatchedAt)) {
			have.WatchedAt = r.WatchedAt
		}
		if r.MaxSeq != nil && (have.MaxSeq == nil || *r.MaxSeq > *have.MaxSeq) {
			have.MaxSeq, have.MaxSeenAt = r.MaxSeq, r.MaxSeenAt
		}
		if r.Runtime != nil && (have.Runtime == nil || r.Runtime.ObservedAt.After(have.Runtime.ObservedAt)) {
			have.Runtime = r.Runtime
		}
		byID[r.RunID] = have
	}
	out := make([]watchedRun, 0, len(byID))
	for _, r := range byID {
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y watchedRun) int {
		return cmp.Or(x.WatchedAt.Compare(y.WatchedAt), cmp.Compare(x.RunID, y.RunID))
	})
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// reload merges the state file into memory; a problem becomes w.note.
// Caller holds w.mu.
func (w *ProjectorWatch) reload() {
	runs, err := w.load()
	if err != nil {
		w.note = err.Error()
	}
	w.runs = mergeRuns(w.runs, runs, w.max)
}

// load reads the state file. A missing file is an empty memory; a corrupt
// one is moved aside (so it is said once) and reads as empty, with an error
// saying so.
func (w *ProjectorWatch) load() ([]watchedRun, error) {
	f, err := os.Open(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("projector watch state %s unreadable (%v): starting from this process's memory", w.path, pathErr(err))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxWatchFile+1))
	f.Close()
	var file watchFile
	var why string
	switch {
	case err != nil:
		return nil, fmt.Errorf("projector watch state %s unreadable (%v): starting from this process's memory", w.path, pathErr(err))
	case len(b) > maxWatchFile:
		why = fmt.Sprintf("larger than %d KiB", maxWatchFile>>10)
	case len(bytes.TrimSpace(b)) == 0:
		why = "empty"
	case json.Unmarshal(b, &file) != nil:
		why = "not JSON of the expected shape"
	case file.Version != watchFileVersion:
		why = fmt.Sprintf("version %d, expected %d", file.Version, watchFileVersion)
	}
	if why != "" {
		aside := w.path + ".corrupt"
		msg := fmt.Sprintf("projector watch state %s was corrupt (%s): started empty", w.path, why)
		if err := os.Rename(w.path, aside); err == nil {
			msg += ", the bad file kept as " + aside
		}
		return nil, errors.New(msg)
	}
	var runs []watchedRun
	dropped := 0
	for _, r := range file.Runs {
		if !runIDPattern.MatchString(r.RunID) {
			dropped++
			continue
		}
		// A file edited by hand must not reach the screen raw either.
		safetext.Strings(&r)
		runs = append(runs, r)
	}
	if dropped > 0 {
		return runs, fmt.Errorf("projector watch state %s: %d entries without a valid run id ignored", w.path, dropped)
	}
	return runs, nil
}

// pathErr drops the path an *fs.PathError repeats.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// save merges memory with the file as it is now and replaces the file
// atomically (temporary file + rename). Caller holds w.mu.
func (w *ProjectorWatch) save() error {
	if runs, err := w.load(); err == nil {
		w.runs = mergeRuns(w.runs, runs, w.max)
	} else if w.note == "" {
		w.note = err.Error()
	}
	b, err := json.MarshalIndent(watchFile{Version: watchFileVersion, Runs: w.runs}, "", "  ")
	if err != nil {
		return fmt.Errorf("projector watch state not saved: %v", err)
	}
	if err := writeAtomic(w.path, append(b, '\n')); err != nil {
		return fmt.Errorf("projector watch state not saved to %s: %v", w.path, pathErr(err))
	}
	return nil
}

// writeAtomic replaces path with b, or leaves it as it was.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
