package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/openagents/cockpit/config"
)

// WriteProbeReport is what the explicit write probe did and saw.
type WriteProbeReport struct {
	RunID          string `json:"run_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
	EventCount     int    `json:"event_count"` // events on the run after the probe
	OK             bool   `json:"ok"`          // every step passed
	// ReadBack is how many requests after the write found the run: each
	// reached an instance holding it.
	ReadBack int `json:"read_back"`
	// Loss is set when the run answered 404 not_found after its write.
	Loss *RunLoss `json:"loss,omitempty"`
}

// writeProbeEventType labels the probe's event so nobody mistakes it for work.
const writeProbeEventType = "cockpit.write_probe"

// writeProbeSteps are the Results WriteProbe returns, always all of them and
// in this order, so a screen can list the ones not reached.
var writeProbeSteps = []struct{ id, title string }{
	{"write_probe.create", "create labelled run"},
	{"write_probe.append", "append probe event"},
	{"write_probe.idempotent", "same key appends nothing"},
	{"write_probe.receipt", "receipt moved"},
	{"write_probe.replay", "replay moved"},
	{"write_probe.summary", "run summary moved"},
	{"write_probe.checkpoint", "checkpoint moved"},
	{"write_probe.drift", "no drift on the run's topic"},
}

// runBody is the part of {"run": Run} the probe reads.
type runBody struct {
	Run struct {
		ID     string            `json:"id"`
		Events []json.RawMessage `json:"events"`
	} `json:"run"`
}

// WriteProber is the explicit write probe, a type apart from Probes: Probes
// cannot write a run, so the engine, which holds only Probes, cannot either.
// Only the acting path builds a WriteProber and hands it to the executor;
// a watching process holds none.
type WriteProber struct{ p *Probes }

// NewWriteProber prepares the write probe for env, from the same parts as
// NewProbes (client, the legacy secret, clock) and the per-request timeout.
func NewWriteProber(env *config.Environment, client *http.Client, secret []byte, now func() time.Time, timeout time.Duration) *WriteProber {
	p := NewProbes(env, client, secret, now)
	p.Timeout = timeout
	return &WriteProber{p: p}
}

// WriteProbe WRITES: it creates one run labelled with write_probe.source,
// appends one event with an idempotency key, appends it again (which must
// append nothing), then reads back receipt, replay, run summary, checkpoint
// and drift to confirm the artifacts moved. Only the executor calls it.
func (wp *WriteProber) WriteProbe(ctx context.Context) (WriteProbeReport, []Result) {
	return wp.p.writeProbe(ctx)
}

func (p *Probes) writeProbe(ctx context.Context) (WriteProbeReport, []Result) {
	wp := &writeProbe{p: p, ctx: ctx, report: WriteProbeReport{IdempotencyKey: "cockpit-probe-" + newUUID()}}
	wp.run()
	wp.report.OK = len(wp.results) == len(writeProbeSteps)
	for _, r := range wp.results {
		wp.report.OK = wp.report.OK && r.Verdict == Pass
	}
	for _, s := range writeProbeSteps[len(wp.results):] {
		r := result(s.id, s.title, "", time.Time{})
		r.Evidence.Reason = "not reached"
		wp.results = append(wp.results, r)
	}
	return wp.report, wp.results
}

// writeProbe carries one probe run's state between its steps.
type writeProbe struct {
	p       *Probes
	ctx     context.Context
	report  WriteProbeReport
	results []Result
	written time.Time // when the create answered 201
}

// run performs the steps in order and stops at the first that is not PASS.
func (w *writeProbe) run() {
	for _, step := range []func() Result{w.create, w.appendEvent, w.appendAgain, w.receipt, w.replay, w.summary, w.checkpoint, w.drift} {
		r := step()
		w.results = append(w.results, r)
		if r.Verdict != Pass {
			return
		}
	}
}

// start begins the Result of step i.
func (w *writeProbe) start(i int, method, u string) Result {
	return result(writeProbeSteps[i].id, writeProbeSteps[i].title, method+" "+u, w.p.now())
}

func (w *writeProbe) create() Result {
	u := w.p.rustURL("/internal/v1/runs")
	r := w.start(0, http.MethodPost, u)
	r.Evidence.Rule = "201 with a run id"
	body, _ := json.Marshal(map[string]any{
		"worker_id": w.p.env.WriteProbe.WorkerID,
		"metadata":  map[string]string{"source": w.p.env.WriteProbe.Source},
	})
	rep, err := w.p.do(w.ctx, rustSide, http.MethodPost, u, body, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	var run runBody
	if rep.status != http.StatusCreated || !decode(rep.body, &run) || run.Run.ID == "" {
		return writeRefused(r, rep)
	}
	w.report.RunID = run.Run.ID
	w.report.EventCount = len(run.Run.Events)
	w.written = rep.at
	r.Verdict, r.Evidence.Value = Pass, "201 run "+run.Run.ID
	return r
}

// appendBody is the probe event, identical on both appends.
func (w *writeProbe) appendBody() []byte {
	b, _ := json.Marshal(map[string]any{
		"event_type":      writeProbeEventType,
		"payload":         map[string]bool{"probe": true},
		"idempotency_key": w.report.IdempotencyKey,
	})
	return b
}

func (w *writeProbe) eventsURL() string {
	return w.p.rustURL("/internal/v1/runs/" + url.PathEscape(w.report.RunID) + "/events")
}

func (w *writeProbe) appendEvent() Result {
	before := w.report.EventCount
	r, n, ok := w.post(1, fmt.Sprintf("200 and event count %d → %d", before, before+1))
	if !ok {
		return r
	}
	w.report.EventCount = n
	r.Verdict = verdictIf(n == before+1)
	return r
}

func (w *writeProbe) appendAgain() Result {
	before := w.report.EventCount
	r, n, ok := w.post(2, fmt.Sprintf("200 and event count stays %d (idempotency key %s)", before, w.report.IdempotencyKey))
	if !ok {
		return r
	}
	r.Verdict = verdictIf(n == before)
	if n != before {
		r.Evidence.Reason = "a duplicate idempotency key appended again"
	}
	return r
}

// post appends the probe event as step i and returns the run's event
// count; ok is false when r is already the answer.
func (w *writeProbe) post(i int, rule string) (r Result, n int, ok bool) {
	u := w.eventsURL()
	r = w.start(i, http.MethodPost, u)
	r.Evidence.Rule = rule
	rep, err := w.p.do(w.ctx, rustSide, http.MethodPost, u, w.appendBody(), nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err), 0, false
	}
	if isNotFound(rep) {
		return w.lost(r), 0, false
	}
	var run runBody
	if rep.status != http.StatusOK || !decode(rep.body, &run) || run.Run.ID == "" {
		return writeRefused(r, rep), 0, false
	}
	n = len(run.Run.Events)
	w.report.ReadBack++
	r.Evidence.Value = fmt.Sprintf("200 event count %d", n)
	return r, n, true
}

func (w *writeProbe) receipt() Result {
	type receipt struct {
		EventCount *int `json:"event_count"`
		LastSeq    *int `json:"last_seq"`
	}
	return readBack(w, 3, "/internal/v1/runs/"+url.PathEscape(w.report.RunID)+"/receipt", "receipt", func(b *receipt) map[string]int {
		if b.EventCount == nil || b.LastSeq == nil {
			return nil
		}
		return map[string]int{"event_count": *b.EventCount, "last_seq": *b.LastSeq}
	})
}

func (w *writeProbe) replay() Result {
	u := w.p.rustURL("/internal/v1/runs/" + url.PathEscape(w.report.RunID) + "/replay")
	r := w.start(4, http.MethodGet, u)
	rep, err := w.p.do(w.ctx, rustSide, http.MethodGet, u, nil, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	if isNotFound(rep) {
		return w.lost(r)
	}
	if rep.status != http.StatusOK {
		return unexpected(r, rep)
	}
	w.report.ReadBack++
	return w.compare(r, "replay", map[string]int{"RuntimeEvent lines": replayEventLines(rep.body)})
}

func (w *writeProbe) summary() Result {
	type summary struct {
		Summary *struct {
			LastSeq    int `json:"last_seq"`
			EventCount int `json:"event_count"`
		} `json:"summary"`
	}
	return readBack(w, 5, "/internal/v1/projectors/run-summary/"+url.PathEscape(w.report.RunID), "run summary", func(b *summary) map[string]int {
		if b.Summary == nil {
			return nil
		}
		return map[string]int{"event_count": b.Summary.EventCount, "last_seq": b.Summary.LastSeq}
	})
}

func (w *writeProbe) checkpoint() Result {
	type checkpoint struct {
		Checkpoint *struct {
			LastSeq int `json:"last_seq"`
		} `json:"checkpoint"`
	}
	return readBack(w, 6, "/internal/v1/projectors/checkpoints/"+url.PathEscape(w.report.RunID), "checkpoint", func(b *checkpoint) map[string]int {
		if b.Checkpoint == nil {
			return nil
		}
		return map[string]int{"last_seq": b.Checkpoint.LastSeq}
	})
}

// drift asks for the run topic's drift report: 404 not_found means none.
func (w *writeProbe) drift() Result {
	topic := "run:" + w.report.RunID + ":events"
	u := w.p.rustURL("/internal/v1/projectors/drift?topic=" + url.QueryEscape(topic))
	r := w.start(7, http.MethodGet, u)
	r.Evidence.Rule = "404 not_found = no drift"
	rep, err := w.p.do(w.ctx, rustSide, http.MethodGet, u, nil, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	var e rustError
	switch {
	case rep.status == http.StatusNotFound && decode(rep.body, &e) && e.Error == "not_found":
		r.Verdict, r.Evidence.Value = Pass, "404 not_found (no drift)"
	case rep.status == http.StatusOK:
		r.Verdict, r.Evidence.Value = Fail, "drift reported: "+bodyExcerpt(rep.body)
	default:
		return unexpected(r, rep)
	}
	return r
}

// readBack GETs step i's artifact at path and compares the counters that
// counts finds in it with the run's events; counts answers nil when the
// body lacks them, which is an unexpected answer, not a failure.
func readBack[T any](w *writeProbe, i int, path, what string, counts func(*T) map[string]int) Result {
	u := w.p.rustURL(path)
	r := w.start(i, http.MethodGet, u)
	rep, err := w.p.do(w.ctx, rustSide, http.MethodGet, u, nil, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	if isNotFound(rep) {
		return w.lost(r)
	}
	var body T
	if rep.status != http.StatusOK || !decode(rep.body, &body) {
		return unexpected(r, rep)
	}
	w.report.ReadBack++
	got := counts(&body)
	if got == nil {
		return unexpected(r, reply{status: http.StatusOK})
	}
	return w.compare(r, what, got)
}

// compare passes when every read-back number equals the run's event count:
// the probe run's seqs are 1..n with no gaps.
func (w *writeProbe) compare(r Result, what string, got map[string]int) Result {
	want := w.report.EventCount
	r.Verdict = Pass
	r.Evidence.Value = what
	for _, k := range slices.Sorted(maps.Keys(got)) {
		r.Evidence.Value += fmt.Sprintf(" %s %d", k, got[k])
		if got[k] != want {
			r.Verdict = Fail
		}
	}
	r.Evidence.Rule = fmt.Sprintf("= %d (the run's events)", want)
	return r
}

// replayEventMarkers tag a replay's RuntimeEvent lines: `"type":…` at
// e5c63cf1, `"event":…` in the newest runtime (docs/runtime-facts.md §8).
var replayEventMarkers = [][]byte{[]byte(`"type":"RuntimeEvent"`), []byte(`"event":"RuntimeEvent"`)}

// replayEventLines counts as the parity harness does: the lines containing
// a marker, whichever version wrote them.
func replayEventLines(replay []byte) int {
	n := 0
	for line := range bytes.Lines(replay) {
		if slices.ContainsFunc(replayEventMarkers, func(m []byte) bool { return bytes.Contains(line, m) }) {
			n++
		}
	}
	return n
}

// writeRefused explains a write the runtime did not take.
func writeRefused(r Result, rep reply) Result {
	var e rustError
	if decode(rep.body, &e) && e.Error == "write_path_frozen" {
		r.Verdict = Fail
		r.Evidence.Value = "503 write_path_frozen"
		r.Evidence.Reason = "writes refused: " + e.Message
		return r
	}
	if rep.status >= 400 && rep.status < 600 && e.Error != "" {
		r.Verdict = Fail
		r.Evidence.Value = fmt.Sprintf("%d %s", rep.status, e.Error)
		r.Evidence.Reason = e.Message
		return r
	}
	return unexpected(r, rep)
}

func verdictIf(ok bool) Verdict {
	if ok {
		return Pass
	}
	return Fail
}
