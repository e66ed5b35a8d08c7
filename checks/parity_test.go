package checks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
)

var cutover = config.ParityPolicy{MaxWarnings: 0, BlockOnCritical: true}

// report renders a harness report the way the real harness writes it.
func report(generated time.Time, diffs, totals, gate string) string {
	return `{"schema":"openagents.runtime.shadow_parity.v1","generated_at":"` + generated.UTC().Format("2006-01-02T15:04:05.000") + `+00:00",` +
		`"legacy_run_id":"r1","rust_run_id":"r1","diffs":[` + diffs + `],"totals":` + totals + `,"gate":` + gate + `}`
}

const (
	allowGate = `{"decision":"allow","reason":"parity within configured thresholds"}`
	critDiff  = `{"severity":"critical","field":"summary_last_seq","legacy":"4","rust":"3","message":"summary last_seq mismatch"}`
	warnDiff  = `{"severity":"warning","field":"replay_hash","legacy":"sha256:a","rust":"sha256:b","message":"replay hash mismatch"}`
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadParity(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recent := now.Add(-41 * time.Second)
	cases := []struct {
		name                 string
		files                map[string]string
		gate, noCrit, within Verdict
		reason               string // in every UNKNOWN's evidence, or in V3's
	}{
		{"allow", map[string]string{"a.json": report(recent, "", `{"critical":0,"warning":0}`, allowGate)}, Pass, Pass, Pass, ""},
		{"critical blocks", map[string]string{"a.json": report(recent, critDiff, `{"critical":1,"warning":0}`, `{"decision":"block","reason":"critical parity diffs detected"}`)},
			Fail, Fail, Fail, "critical parity diffs detected"},
		{"warnings over policy block", map[string]string{"a.json": report(recent, warnDiff, `{"critical":0,"warning":1}`, `{"decision":"block","reason":"warning parity diffs (1) exceed policy threshold (0)"}`)},
			Fail, Pass, Fail, "warning parity diffs (1) exceed policy threshold (0)"},
		{"report allows what the cutover policy blocks", map[string]string{"a.json": report(recent, warnDiff, `{"critical":0,"warning":1}`, allowGate)},
			Pass, Pass, Fail, `own decision "allow" disagrees with the cutover policy's "block"`},
		{"missing", nil, Unknown, Unknown, Unknown, "no parity report matches"},
		{"garbage", map[string]string{"a.json": "{not json"}, Unknown, Unknown, Unknown, "not valid JSON"},
		{"wrong schema", map[string]string{"a.json": strings.Replace(report(recent, "", `{"critical":0,"warning":0}`, allowGate), "shadow_parity.v1", "shadow_parity.v2", 1)},
			Unknown, Unknown, Unknown, `schema "openagents.runtime.shadow_parity.v2"`},
		{"totals disagree with diffs", map[string]string{"a.json": report(recent, critDiff, `{"critical":0,"warning":0}`, allowGate)},
			Unknown, Unknown, Unknown, "do not match its diffs"},
		{"stale", map[string]string{"a.json": report(now.Add(-20*time.Minute), "", `{"critical":0,"warning":0}`, allowGate)},
			Unknown, Unknown, Unknown, "stale report"},
		{"newest by generated_at wins, not by name", map[string]string{
			"z-old.json": report(now.Add(-10*time.Minute), "", `{"critical":0,"warning":0}`, allowGate),
			"a-new.json": report(recent, critDiff, `{"critical":1,"warning":0}`, `{"decision":"block","reason":"critical parity diffs detected"}`)},
			Fail, Fail, Fail, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range c.files {
				write(t, dir, name, body)
			}
			pr := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
			for _, g := range []struct {
				label string
				r     Result
				want  Verdict
			}{{"P1 gate", pr.Gate, c.gate}, {"P2 no critical", pr.NoCritical, c.noCrit}, {"V3 within", pr.WithinThresholds, c.within}} {
				if g.r.Verdict != g.want {
					t.Errorf("%s: %s, want %s (%s)", g.label, g.r.Verdict, g.want, g.r.Line(now))
				}
				if g.want == Unknown && !strings.Contains(g.r.Evidence.Reason, c.reason) {
					t.Errorf("%s reason %q lacks %q", g.label, g.r.Evidence.Reason, c.reason)
				}
			}
			if c.within == Fail && !strings.Contains(pr.WithinThresholds.Evidence.Reason, c.reason) {
				t.Errorf("V3 reason %q lacks %q", pr.WithinThresholds.Evidence.Reason, c.reason)
			}
		})
	}
}

func TestReadParityEvidenceNamesFileValueAndAge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	p := write(t, dir, "r.json", report(now.Add(-41*time.Second), critDiff, `{"critical":1,"warning":0}`, `{"decision":"block","reason":"critical parity diffs detected"}`))
	pr := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
	line := pr.NoCritical.Line(now)
	for _, frag := range []string{p, "critical=1", "critical = 0", `summary_last_seq: legacy "4", rust "3"`, "FAIL", "age 41s"} {
		if !strings.Contains(line, frag) {
			t.Errorf("%q lacks %q", line, frag)
		}
	}
	if pr.Path != p || pr.Report == nil || pr.Report.Diffs[0].Field != "summary_last_seq" {
		t.Errorf("reading does not carry the report: path %q report %+v", pr.Path, pr.Report)
	}
}

func TestReadParityNewestGarbageIsNotMaskedByAnOlderAllow(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	write(t, dir, "old.json", report(now.Add(-5*time.Minute), "", `{"critical":0,"warning":0}`, allowGate))
	write(t, dir, "new.json", "truncated{")
	pr := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now)
	if pr.Gate.Verdict != Unknown || !strings.HasSuffix(pr.Path, "new.json") {
		t.Fatalf("newest file is garbage: gate %s from %s, want UNKNOWN from new.json", pr.Gate.Verdict, pr.Path)
	}
}

func TestParityReaderSeesNewAndRewrittenReports(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.json")
	var r ParityReader
	write(t, dir, "a.json", report(now.Add(-2*time.Minute), "", `{"critical":0,"warning":0}`, allowGate))
	if got := r.ReadContext(context.Background(), glob, 15*time.Minute, cutover, now); got.Gate.Verdict != Pass {
		t.Fatalf("first read: %v", got.Gate)
	}
	// A newer report that blocks, then the allow file rewritten as garbage:
	// neither may be hidden by what the reader parsed before.
	write(t, dir, "b.json", report(now.Add(-time.Minute), critDiff, `{"critical":1,"warning":0}`, `{"decision":"block","reason":"critical parity diffs detected"}`))
	if got := r.ReadContext(context.Background(), glob, 15*time.Minute, cutover, now); got.Gate.Verdict != Fail || !strings.HasSuffix(got.Path, "b.json") {
		t.Fatalf("after a newer block report: %v from %s", got.Gate, got.Path)
	}
	later := now.Add(time.Second)
	p := write(t, dir, "b.json", "{garbage")
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if got := r.ReadContext(context.Background(), glob, 15*time.Minute, cutover, later); got.Gate.Verdict != Unknown {
		t.Fatalf("rewritten as garbage: %v", got.Gate)
	}
}

// Each staged scenario (happy path, cancellation, failure, replay) has its
// own report: an allow on the newest must not hide a block on an older one
// that is still within max_age. Past max_age, a report no longer counts.
func TestReadParityWorstReportWithinMaxAgeDecides(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	block := `{"decision":"block","reason":"critical parity diffs detected"}`
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.json")
	write(t, dir, "happy.json", report(now.Add(-time.Minute), "", `{"critical":0,"warning":0}`, allowGate))
	cancel := write(t, dir, "cancel.json", report(now.Add(-5*time.Minute), critDiff, `{"critical":1,"warning":0}`, block))
	write(t, dir, "ancient.json", report(now.Add(-time.Hour), critDiff, `{"critical":1,"warning":0}`, block))

	pr := ReadParity(glob, 15*time.Minute, cutover, now)
	if pr.Reports != 2 || !strings.HasSuffix(pr.Path, "happy.json") {
		t.Fatalf("judged %d reports, newest %s; want 2, happy.json", pr.Reports, pr.Path)
	}
	for _, r := range []Result{pr.Gate, pr.NoCritical, pr.WithinThresholds} {
		if r.Verdict != Fail || r.Evidence.Source != cancel || !strings.Contains(r.Evidence.Rule, "worst of 2 reports") {
			t.Errorf("%s: %s from %q (%s); want FAIL from %s", r.ID, r.Verdict, r.Evidence.Source, r.Evidence.Rule, cancel)
		}
	}
	// Once the cancellation report ages out, only the allow counts.
	if got := ReadParity(glob, 2*time.Minute, cutover, now); got.NoCritical.Verdict != Pass || got.Reports != 1 {
		t.Errorf("max_age 2m: P2 %s over %d reports, want PASS over 1", got.NoCritical.Verdict, got.Reports)
	}
	// A broken report within max_age is not vouched for: UNKNOWN, named.
	broken := write(t, dir, "replay.json", "{torn")
	at := now.Add(-3 * time.Minute)
	if err := os.Chtimes(broken, at, at); err != nil {
		t.Fatal(err)
	}
	if got := ReadParity(glob, 4*time.Minute, cutover, now); got.Gate.Verdict != Unknown || got.Gate.Evidence.Source != broken {
		t.Errorf("broken report within max_age: gate %s from %s, want UNKNOWN from %s", got.Gate.Verdict, got.Gate.Evidence.Source, broken)
	}
}

// Every trusted report within max_age names a Rust run the cockpit then
// watches on the projector endpoints (newest first); an aged-out or broken
// report names none.
func TestReadParityNamesEveryRecentRustRun(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	named := func(generated time.Time, run string) string {
		return strings.Replace(report(generated, "", `{"critical":0,"warning":0}`, allowGate), `"rust_run_id":"r1"`, `"rust_run_id":"`+run+`"`, 1)
	}
	write(t, dir, "a.json", named(now.Add(-time.Minute), "run-new"))
	write(t, dir, "b.json", named(now.Add(-3*time.Minute), "run-older"))
	write(t, dir, "c.json", named(now.Add(-time.Hour), "run-aged-out"))
	broken := write(t, dir, "d.json", "{torn")
	at := now.Add(-2 * time.Minute)
	if err := os.Chtimes(broken, at, at); err != nil {
		t.Fatal(err)
	}
	got := ReadParity(filepath.Join(dir, "*.json"), 15*time.Minute, cutover, now).RustRunIDs
	if strings.Join(got, ",") != "run-new,run-older" {
		t.Errorf("rust runs named = %v, want run-new,run-older (newest first; none from an aged-out or broken report)", got)
	}
}
