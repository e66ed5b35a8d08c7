// Package journalgen writes large journals shaped like an operating
// cockpit's, for the timeline's tests and benchmarks and for measuring
// `cockpit timeline` by hand (scripts/genjournal). A long cutover's
// journal is mostly the safe frozen probes' answers journaled again
// unchanged, with verdict changes, actions and their outcomes between.
package journalgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/journal"
)

// Probe check names as the engine journals them (runbook's frozen probes):
// their unchanged answers are the repeats a timeline leaves out.
const (
	probeLegacy = "probe.legacy_frozen"
	probeRust   = "probe.rust_frozen"
)

// Start is when a generated journal begins; record i is Start+i·Step.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Step is the time between two generated records.
const Step = 250 * time.Millisecond

// Write writes n records to the journal at path (its directory made),
// each naming its number ("#i") in its message, reason or evidence so a
// reader can check order. It returns the numbers a timeline shows: all
// but the probe answers that repeat the previous one unchanged.
func Write(path string, n int) (shown []int, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the journal's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the journal: %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	enc := json.NewEncoder(bw)
	last := map[string]string{}
	for i := range n {
		r := Record(i)
		if p := r.Check; r.Kind == journal.KindVerdict && (p == probeLegacy || p == probeRust) {
			if last[p] != r.Verdict {
				shown = append(shown, i)
			}
			last[p] = r.Verdict
		} else {
			shown = append(shown, i)
		}
		if err := enc.Encode(r); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("writing the journal: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("writing the journal: %w", err)
	}
	return shown, f.Close()
}

// Record is the generated journal's record i: seven in ten a probe answer
// (its verdict changes every 97th time), the rest verdict changes, intents,
// progress and outcomes with a multi-line actuator output.
func Record(i int) journal.Record {
	r := journal.Record{Time: Start.Add(time.Duration(i) * Step), Env: "staging", Operator: "alice", Host: "ops-1", ConfigHash: "c0ffee"}
	seq := fmt.Sprintf("#%d", i)
	switch k := i % 10; {
	case k < 7:
		r.Kind, r.Check, r.Evidence = journal.KindVerdict, probeLegacy, seq
		if k%2 == 1 {
			r.Check = probeRust
		}
		r.Verdict = [2]string{"ok", "fail"}[i/97%2]
	case k == 7:
		r.Kind, r.Step, r.Check, r.Verdict = journal.KindVerdict, "P3", "rust_health", "ok"
		r.Evidence = seq + " ok (200 in 12ms) from http://rust.internal/healthz"
	case k == 8:
		r.Kind, r.Step, r.Check = journal.KindIntent, "S4", "set_cohort"
		r.Argv = []string{"/usr/local/bin/deploy", "cohort", "--percent", "25", seq}
	default:
		ok := i%20 != 9
		r.Kind, r.Step, r.Check, r.OK = journal.KindOutcome, "S4", "set_cohort", &ok
		r.Message = seq + " cohort set to 25%\nrevision runtime-writes-rust-00042 serving\nrollout complete"
	}
	return r
}
