package harness

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var reportTime = time.Date(2026, 2, 21, 14, 1, 10, 0, time.UTC)

func TestCompareIdenticalCapturesAllow(t *testing.T) {
	legacy, rust := writePair(t, nil)
	r, err := Compare(legacy, rust, CutoverPolicy(), reportTime)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Schema:      "openagents.runtime.shadow_parity.v1",
		GeneratedAt: "2026-02-21T14:01:10+00:00",
		LegacyRunID: fixtureRunID,
		RustRunID:   fixtureRunID,
		Diffs:       []Diff{},
		Totals:      Totals{},
		Gate:        Gate{Decision: "allow", Reason: "parity within configured thresholds"},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Compare() =\n%+v\nwant\n%+v", r, want)
	}
}

// Each field changed alone on the legacy side yields exactly its diff, with
// the real harness's severity, message and stringified values.
func TestCompareEachFieldAlone(t *testing.T) {
	base := baseCapture(t)
	editedReplay := strings.Replace(base.replay, `"confidence":1.0`, `"confidence":0.5`, 1)
	extraEventReplay := strings.Replace(base.replay, `{"confidence"`,
		`{"payload":{},"payload_hash":"sha256:x","runtime_event_type":"run.note","seq":4,"session_id":"`+fixtureRunID+`","ts":"2026-02-21T14:00:03+00:00","type":"RuntimeEvent"}`+"\n"+`{"confidence"`, 1)
	if editedReplay == base.replay || extraEventReplay == base.replay {
		t.Fatal("fixture replay did not change; the replay edits are stale")
	}
	otherHash := "sha256:" + strings.Repeat("ab", 32)

	crit := func(field, legacy, rust, msg string) Diff {
		return Diff{Severity: "critical", Field: field, Legacy: legacy, Rust: rust, Message: msg}
	}
	warn := func(field, legacy, rust, msg string) Diff {
		return Diff{Severity: "warning", Field: field, Legacy: legacy, Rust: rust, Message: msg}
	}
	tests := []struct {
		name   string
		mutate func(*capture)
		want   []Diff
	}{
		{"run_id", func(c *capture) { c.runID = "legacy-run-7" },
			[]Diff{crit("run_id", "legacy-run-7", fixtureRunID, "run identifiers diverged")}},
		{"session_id", func(c *capture) { c.sessionID = "0195f3a2-0000-7000-8000-000000000000" },
			[]Diff{crit("session_id", "0195f3a2-0000-7000-8000-000000000000", fixtureRunID, "receipt session IDs diverged")}},
		{"trajectory_hash", func(c *capture) { c.trajectoryHash = otherHash },
			[]Diff{crit("trajectory_hash", otherHash, base.trajectoryHash, "trajectory hash mismatch")}},
		{"summary_status", func(c *capture) { c.summaryStatus = "cancelled" },
			[]Diff{crit("summary_status", "cancelled", "succeeded", "projected run status mismatch")}},
		{"summary_last_seq", func(c *capture) { c.summaryLastSeq = 2 },
			[]Diff{crit("summary_last_seq", "2", "3", "projected last sequence mismatch")}},
		{"checkpoint_last_seq", func(c *capture) { c.checkpointLastSeq = 2 },
			[]Diff{crit("checkpoint_last_seq", "2", "3", "checkpoint sequence mismatch")}},
		{"replay_hash", func(c *capture) { c.replay = editedReplay },
			[]Diff{warn("replay_hash", sha256Prefixed(editedReplay), sha256Prefixed(base.replay), "replay hash mismatch")}},
		// A replay cannot gain an event without its bytes, and so its hash,
		// changing too.
		{"replay_runtime_event_count", func(c *capture) { c.replay = extraEventReplay },
			[]Diff{
				warn("replay_hash", sha256Prefixed(extraEventReplay), sha256Prefixed(base.replay), "replay hash mismatch"),
				warn("replay_runtime_event_count", "4", "3", "runtime replay event count mismatch"),
			}},
		{"receipt_event_count", func(c *capture) { c.receiptEventCount = 2 },
			[]Diff{warn("receipt_event_count", "2", "3", "receipt event count mismatch")}},
		{"receipt_last_seq", func(c *capture) { c.receiptLastSeq = 4 },
			[]Diff{warn("receipt_last_seq", "4", "3", "receipt last sequence mismatch")}},
		{"summary_event_count", func(c *capture) { c.summaryEventCount = 2 },
			[]Diff{warn("summary_event_count", "2", "3", "summary event count mismatch")}},
		{"summary_projection_hash", func(c *capture) { c.projectionHash = otherHash },
			[]Diff{warn("summary_projection_hash", otherHash, base.projectionHash, "projection hash mismatch")}},
		{"checkpoint_last_event_type", func(c *capture) { c.checkpointLastEventType = "run.step.completed" },
			[]Diff{warn("checkpoint_last_event_type", "run.step.completed", "run.finished", "checkpoint event type mismatch")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, rust := writePair(t, tt.mutate)
			r, err := Compare(legacy, rust, CutoverPolicy(), reportTime)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Diffs, tt.want) {
				t.Errorf("diffs =\n%+v\nwant\n%+v", r.Diffs, tt.want)
			}
			var want Totals
			for _, d := range tt.want {
				if d.Severity == "critical" {
					want.Critical++
				} else {
					want.Warning++
				}
			}
			if r.Totals != want {
				t.Errorf("totals = %+v, want %+v", r.Totals, want)
			}
			if r.Gate.Decision != "block" {
				t.Errorf("cutover policy let a %s diff through: %+v", tt.name, r.Gate)
			}
		})
	}
}

func TestCompareGate(t *testing.T) {
	critical := func(c *capture) { c.summaryStatus = "failed" }
	twoWarnings := func(c *capture) { c.receiptEventCount, c.summaryEventCount = 2, 2 }
	both := func(c *capture) { critical(c); twoWarnings(c) }
	tests := []struct {
		name   string
		mutate func(*capture)
		policy Policy
		want   Gate
	}{
		{"critical blocks under the cutover policy", critical, Policy{MaxWarnings: 0, BlockOnCritical: true},
			Gate{"block", "critical parity diffs detected"}},
		{"critical is checked before warnings", both, Policy{MaxWarnings: 0, BlockOnCritical: true},
			Gate{"block", "critical parity diffs detected"}},
		{"critical ignored when not blocking on it", critical, Policy{MaxWarnings: 0, BlockOnCritical: false},
			Gate{"allow", "parity within configured thresholds"}},
		{"critical ignored, warnings within budget", both, Policy{MaxWarnings: 2, BlockOnCritical: false},
			Gate{"allow", "parity within configured thresholds"}},
		{"critical ignored, warnings over budget", both, Policy{MaxWarnings: 1, BlockOnCritical: false},
			Gate{"block", "warning parity diffs (2) exceed policy threshold (1)"}},
		{"warnings over a zero budget", twoWarnings, Policy{MaxWarnings: 0, BlockOnCritical: true},
			Gate{"block", "warning parity diffs (2) exceed policy threshold (0)"}},
		{"warnings exactly at budget", twoWarnings, Policy{MaxWarnings: 2, BlockOnCritical: true},
			Gate{"allow", "parity within configured thresholds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, rust := writePair(t, tt.mutate)
			r, err := Compare(legacy, rust, tt.policy, reportTime)
			if err != nil {
				t.Fatal(err)
			}
			if r.Gate != tt.want {
				t.Errorf("gate = %+v, want %+v", r.Gate, tt.want)
			}
		})
	}
}

func TestCompareRefusesNegativeWarningBudget(t *testing.T) {
	legacy, rust := writePair(t, nil)
	if _, err := Compare(legacy, rust, Policy{MaxWarnings: -1, BlockOnCritical: true}, reportTime); err == nil {
		t.Error("Compare accepted max_warnings=-1, which would block a clean capture")
	}
}

// Unreadable or malformed captures are errors, never a report: the real
// harness exits before writing one.
func TestCompareBadCaptures(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		body    string
		wantErr string
	}{
		{"garbage receipt", receiptFile, "<html>502 Bad Gateway</html>", "shadow parse error"},
		{"receipt missing last_seq", receiptFile, `{"session_id":"s","trajectory_hash":"h","event_count":3}`, `missing field "last_seq"`},
		{"receipt with null session_id", receiptFile, `{"session_id":null,"trajectory_hash":"h","event_count":3,"last_seq":3}`, `missing field "session_id"`},
		{"summary without its envelope", summaryFile, `{"status":"succeeded","last_seq":3,"event_count":3,"projection_hash":"h"}`, `missing field "summary"`},
		{"checkpoint last_seq as a string", checkpointFile, `{"checkpoint":{"last_seq":"3","last_event_type":"run.finished"}}`, "shadow parse error"},
		{"negative sequence", checkpointFile, `{"checkpoint":{"last_seq":-1,"last_event_type":"run.finished"}}`, "shadow parse error"},
		{"truncated summary", summaryFile, `{"summary":{"status":"succ`, "shadow parse error"},
		{"replay not UTF-8", replayFile, "{\"type\":\"ReplayHeader\"}\n\xff\xfe\n", "shadow file I/O error"},
		{"garbage manifest", manifestFile, "run_id=abc", "shadow parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy, rust := writePair(t, nil)
			writeFile(t, strings.TrimSuffix(legacy, manifestFile)+tt.file, tt.body)
			_, err := Compare(legacy, rust, CutoverPolicy(), reportTime)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "legacy") {
				t.Errorf("Compare() error = %v, want one about the legacy capture containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCompareMissingFileIsIOError(t *testing.T) {
	legacy, rust := writePair(t, nil)
	writeFile(t, rust, `{"run_id":"r","receipt_path":"gone.json","replay_path":"replay.jsonl","summary_path":"summary.json","checkpoint_path":"checkpoint.json"}`)
	_, err := Compare(legacy, rust, CutoverPolicy(), reportTime)
	if err == nil || !strings.Contains(err.Error(), "shadow file I/O error") || !strings.Contains(err.Error(), "gone.json") {
		t.Errorf("Compare() error = %v, want an I/O error naming gone.json", err)
	}
}

// The real harness counts replay lines containing "type":"RuntimeEvent",
// not occurrences and not parsed events.
func TestCountRuntimeEventLines(t *testing.T) {
	tests := []struct {
		replay string
		want   int
	}{
		{"", 0},
		{`{"type":"ReplayHeader"}` + "\n" + `{"type":"SessionEnd"}` + "\n", 0},
		{`{"type":"RuntimeEvent"}` + "\r\n" + `{"type":"RuntimeEvent"}`, 2},
		{`{"payload":{"type":"RuntimeEvent"},"type":"RuntimeEvent"}` + "\n", 1},
		{`{"type": "RuntimeEvent"}` + "\n", 0},
	}
	for _, tt := range tests {
		if got := countRuntimeEventLines(tt.replay); got != tt.want {
			t.Errorf("countRuntimeEventLines(%q) = %d, want %d", tt.replay, got, tt.want)
		}
	}
}

func TestFormatRFC3339MatchesChrono(t *testing.T) {
	tests := []struct {
		ns   int
		want string
	}{
		{0, "2026-02-21T14:01:10+00:00"},
		{120_000_000, "2026-02-21T14:01:10.120+00:00"},
		{123_456_000, "2026-02-21T14:01:10.123456+00:00"},
		{123_456_789, "2026-02-21T14:01:10.123456789+00:00"},
	}
	zone := time.FixedZone("CET", 3600)
	for _, tt := range tests {
		at := time.Date(2026, 2, 21, 15, 1, 10, tt.ns, zone)
		if got := formatRFC3339(at); got != tt.want {
			t.Errorf("formatRFC3339(%v) = %q, want %q", at, got, tt.want)
		}
	}
}
