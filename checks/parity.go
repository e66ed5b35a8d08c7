package checks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/internal/skew"
)

// ParitySchema is the only report schema the cockpit trusts.
const ParitySchema = "openagents.runtime.shadow_parity.v1"

// ParityReport is the shadow harness's parity-report.json.
type ParityReport struct {
	Schema      string       `json:"schema"`
	GeneratedAt string       `json:"generated_at"`
	LegacyRunID string       `json:"legacy_run_id"`
	RustRunID   string       `json:"rust_run_id"`
	Diffs       []ParityDiff `json:"diffs"`
	Totals      struct {
		Critical int `json:"critical"`
		Warning  int `json:"warning"`
	} `json:"totals"`
	Gate struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	} `json:"gate"`
}

// ParityDiff is one field that differs between the two captures.
type ParityDiff struct {
	Severity string    `json:"severity"`
	Field    string    `json:"field"`
	Legacy   DiffValue `json:"legacy"`
	Rust     DiffValue `json:"rust"`
	Message  string    `json:"message"`
}

// DiffValue is a diff side as text. The real harness writes strings; any
// other JSON value is kept as its raw text rather than refused.
type DiffValue string

// UnmarshalJSON accepts a JSON string or any other value.
func (d *DiffValue) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*d = DiffValue(s)
		return nil
	}
	*d = DiffValue(b)
	return nil
}

// ParityReading is every report within max_age judged three ways — P1
// (the harness's gate allows), P2 (no critical diffs), V3 (within the
// cutover's policy) — the worst report deciding each, with its file named in
// the evidence. Path, Generated and Report describe the newest report.
type ParityReading struct {
	Path             string
	Generated        time.Time
	Report           *ParityReport
	Reports          int    // reports within max_age that were judged
	Gate             Result // P1
	NoCritical       Result // P2, and incident I1
	WithinThresholds Result // V3

	// RustRunIDs are the Rust runs the trusted reports within max_age
	// name, newest first: the runs the harness captured from live traffic,
	// whose projector checkpoints and drift the cockpit then watches.
	RustRunIDs []string
}

// ReadParity reads every report matching glob (timed by generated_at, or
// the file's mtime when that is missing) and judges those within maxAge.
// Anything that keeps the cockpit from trusting the newest report (no file,
// unreadable, not JSON, another schema, totals that disagree with the diffs,
// older than maxAge) makes all three results UNKNOWN with the reason: never
// PASS. A broken older report within maxAge is UNKNOWN too: the scenario it
// covered is not vouched for.
//
// Every file is read through internal/boundedfile: a named pipe, a device
// or a report on a hung file system is UNKNOWN with the file named, within
// boundedfile's bound, never a wait. ReadParity allows skew.Default of
// clock skew; a ParityReader allows its MaxClockSkew.
func ReadParity(glob string, maxAge time.Duration, policy config.ParityPolicy, now time.Time) ParityReading {
	return new(ParityReader).ReadContext(context.Background(), glob, maxAge, policy, now)
}

// ParityReader is ReadParity for a long-running watcher: it keeps each
// report it parsed, keyed by path, size and mtime, so a tick reads only the
// reports that are new or changed however many the directory holds.
type ParityReader struct {
	// MaxClockSkew is how far in the future a report's generated_at may
	// be (config max_clock_skew; skew.Default when ≤ 0). Beyond it the
	// report is not trusted: it would never turn stale, and it would stay
	// "newest" over every report written after it.
	MaxClockSkew time.Duration

	mu     sync.Mutex
	parsed map[string]parsedReport
}

type parsedReport struct {
	path string
	size int64
	mod  time.Time
	rep  *ParityReport
	at   time.Time
	err  error
}

// ReadContext is ReadParity with the reader's cache and clock skew; every
// file read ends by ctx's deadline (an observation round's) at the latest.
func (r *ParityReader) ReadContext(ctx context.Context, glob string, maxAge time.Duration, policy config.ParityPolicy, now time.Time) ParityReading {
	pr := ParityReading{
		Gate:             Result{ID: "parity_gate", Title: "parity gate allows"},
		NoCritical:       Result{ID: "parity_no_critical", Title: "no critical parity diffs"},
		WithinThresholds: Result{ID: "parity_within_policy", Title: "parity within cutover policy"},
	}
	reports, err := r.reports(ctx, glob, now)
	src := glob
	if len(reports) > 0 {
		newest := reports[0]
		pr.Path, pr.Generated, pr.Report = newest.path, newest.at, newest.rep
		src, err = newest.path, newest.err
	}
	for _, res := range pr.results() {
		res.Evidence.Source = safetext.Clean(src) // a file name is the harness's choice
		res.ObservedAt = pr.Generated
	}
	if err == nil {
		err = r.trusted(reports[0], maxAge, now)
	}
	if err != nil {
		pr.Report = nil
		for _, res := range pr.results() {
			res.Verdict, res.Evidence.Reason = Unknown, safetext.Clean(err.Error())
		}
		return pr
	}
	var judged []ParityReading
	for _, rep := range reports {
		if maxAge > 0 && now.Sub(rep.at) > maxAge {
			break // sorted newest first: the rest are older still
		}
		one := ParityReading{Path: rep.path, Generated: rep.at, Report: rep.rep,
			Gate: pr.Gate, NoCritical: pr.NoCritical, WithinThresholds: pr.WithinThresholds}
		for _, res := range one.results() {
			res.Evidence.Source, res.ObservedAt = safetext.Clean(rep.path), rep.at
		}
		if err := cmp.Or(rep.err, r.trusted(rep, maxAge, now)); err != nil {
			for _, res := range one.results() {
				res.Verdict, res.Evidence.Reason = Unknown, safetext.Clean(err.Error())
			}
		} else {
			one.judge(policy)
			if rep.rep.RustRunID != "" {
				pr.RustRunIDs = append(pr.RustRunIDs, rep.rep.RustRunID)
			}
		}
		judged = append(judged, one)
	}
	pr.Reports = len(judged)
	pr.Gate = worstOf(judged, func(p *ParityReading) Result { return p.Gate })
	pr.NoCritical = worstOf(judged, func(p *ParityReading) Result { return p.NoCritical })
	pr.WithinThresholds = worstOf(judged, func(p *ParityReading) Result { return p.WithinThresholds })
	return pr
}

// trusted refuses a report past maxAge or stamped beyond the clock skew in
// the future ("in the future (clock skew?)").
func (r *ParityReader) trusted(rep parsedReport, maxAge time.Duration, now time.Time) error {
	if maxAge > 0 && now.Sub(rep.at) > maxAge {
		return fmt.Errorf("stale report: generated %s ago > max_age %s", FormatAge(now.Sub(rep.at)), ShortDuration(maxAge))
	}
	if err := skew.Check("parity report generated_at", rep.at, now, r.MaxClockSkew); err != nil {
		return fmt.Errorf("%w: check the harness's clock", err)
	}
	return nil
}

// worstOf picks, across reports (newest first), the result with the worst
// verdict; on a tie the newest decides. Its rule says how many reports
// were judged, so a PASS says what it vouches for.
func worstOf(judged []ParityReading, pick func(*ParityReading) Result) Result {
	worst := pick(&judged[0])
	for i := range judged[1:] {
		if res := pick(&judged[i+1]); Worst(worst.Verdict, res.Verdict) != worst.Verdict {
			worst = res
		}
	}
	if len(judged) > 1 {
		worst.Evidence.Rule += fmt.Sprintf(" (worst of %d reports within max_age)", len(judged))
	}
	return worst
}

func (pr *ParityReading) results() []*Result {
	return []*Result{&pr.Gate, &pr.NoCritical, &pr.WithinThresholds}
}

// judge fills the three verdicts from a trusted report.
func (pr *ParityReading) judge(policy config.ParityPolicy) {
	rep := pr.Report
	pr.Gate.Evidence.Value = "decision=" + rep.Gate.Decision + " (" + rep.Gate.Reason + ")"
	pr.Gate.Evidence.Rule = "decision = allow"
	pr.Gate.Verdict = verdictIf(rep.Gate.Decision == "allow")

	pr.NoCritical.Evidence.Value = fmt.Sprintf("critical=%d", rep.Totals.Critical)
	pr.NoCritical.Evidence.Rule = "critical = 0"
	pr.NoCritical.Verdict = verdictIf(rep.Totals.Critical == 0)
	if d := firstDiff(rep, "critical"); d != nil {
		pr.NoCritical.Evidence.Reason = fmt.Sprintf("%s: legacy %q, rust %q", d.Field, d.Legacy, d.Rust)
	}

	want, why := parityDecision(rep.Totals.Critical, rep.Totals.Warning, policy)
	w := &pr.WithinThresholds
	w.Evidence.Value = fmt.Sprintf("critical=%d warning=%d", rep.Totals.Critical, rep.Totals.Warning)
	w.Evidence.Rule = fmt.Sprintf("policy max_warnings=%d block_on_critical=%t → %s", policy.MaxWarnings, policy.BlockOnCritical, want)
	switch {
	case want != rep.Gate.Decision:
		w.Verdict = Fail
		w.Evidence.Reason = fmt.Sprintf("the report's own decision %q disagrees with the cutover policy's %q (%s)", rep.Gate.Decision, want, why)
	case want == "allow":
		w.Verdict = Pass
	default:
		w.Verdict = Fail
		w.Evidence.Reason = why
	}
}

// parityDecision applies the harness's gate rules, in the harness's order.
func parityDecision(critical, warning int, policy config.ParityPolicy) (string, string) {
	switch {
	case critical > 0 && policy.BlockOnCritical:
		return "block", "critical parity diffs detected"
	case warning > policy.MaxWarnings:
		return "block", fmt.Sprintf("warning parity diffs (%d) exceed policy threshold (%d)", warning, policy.MaxWarnings)
	default:
		return "allow", "parity within configured thresholds"
	}
}

func firstDiff(rep *ParityReport, severity string) *ParityDiff {
	for i := range rep.Diffs {
		if rep.Diffs[i].Severity == severity {
			return &rep.Diffs[i]
		}
	}
	return nil
}

// reports finds and decodes every report, broken or not, newest first. A
// broken file still competes by its mtime: if the newest report is garbage,
// the cockpit must not fall back to an older allow.
func (r *ParityReader) reports(ctx context.Context, glob string, now time.Time) ([]parsedReport, error) {
	if glob == "" {
		return nil, errors.New("no parity.reports glob configured")
	}
	paths, err := boundedfile.Glob(ctx, glob, boundedfile.Options{})
	if errors.Is(err, filepath.ErrBadPattern) {
		return nil, fmt.Errorf("bad parity.reports glob: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("listing parity reports: %w", err)
	}
	if len(paths) == 0 {
		return nil, errors.New("no parity report matches " + glob)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]parsedReport, len(paths))
	out := make([]parsedReport, 0, len(paths))
	for _, p := range paths {
		pr := r.load(ctx, p, now)
		pr.path = p
		seen[p] = pr
		out = append(out, pr)
	}
	r.parsed = seen // forget reports that are gone
	slices.SortStableFunc(out, func(a, b parsedReport) int { return b.at.Compare(a.at) })
	return out, nil
}

// load parses path unless the same size and mtime were parsed before. A
// file that cannot be read competes by its mtime when it has one, and as
// the newest report when not even that answers (a hung file system): an
// older allow must not stand in for it. One gone since the glob is gone.
func (r *ParityReader) load(ctx context.Context, path string, now time.Time) parsedReport {
	fi, err := boundedfile.Stat(ctx, path, boundedfile.Options{})
	if err != nil {
		pr := parsedReport{size: -1, err: fmt.Errorf("reading parity report: %w", err)}
		if !errors.Is(err, fs.ErrNotExist) {
			pr.at = now
		}
		return pr
	}
	if old, ok := r.parsed[path]; ok && old.size == fi.Size() && old.mod.Equal(fi.ModTime()) {
		return old
	}
	b, read, err := boundedfile.Read(ctx, path, boundedfile.Options{})
	if err != nil {
		// size -1: never a cache hit, so a read that timed out is tried again.
		return parsedReport{size: -1, at: fi.ModTime(), err: fmt.Errorf("reading parity report: %w", err)}
	}
	rep, at, err := parseReport(b, read.ModTime())
	return parsedReport{size: read.Size(), mod: read.ModTime(), rep: rep, at: at, err: err}
}

// parseReport validates one report; its time is generated_at, or the
// file's mtime when generated_at is absent.
func parseReport(b []byte, at time.Time) (*ParityReport, time.Time, error) {
	var rep ParityReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, at, fmt.Errorf("parity report is not valid JSON: %w", err)
	}
	// Whoever writes the report writes what every watcher's screen shows
	// (the gate reason, diffs, run ids): every string is cleaned on load,
	// before a Result, the journal or a consumer of Report sees it.
	safetext.Strings(&rep)
	if rep.GeneratedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, rep.GeneratedAt)
		if err != nil {
			return nil, at, fmt.Errorf("parity report generated_at %q is not RFC 3339", rep.GeneratedAt)
		}
		at = t
	}
	if rep.Schema != ParitySchema {
		return nil, at, fmt.Errorf("parity report schema %q is not %s", rep.Schema, ParitySchema)
	}
	var critical, warning int
	for _, d := range rep.Diffs {
		switch d.Severity {
		case "critical":
			critical++
		case "warning":
			warning++
		default:
			return nil, at, fmt.Errorf("parity report has a diff of unknown severity %q", d.Severity)
		}
	}
	if critical != rep.Totals.Critical || warning != rep.Totals.Warning {
		return nil, at, fmt.Errorf("parity report totals (critical=%d warning=%d) do not match its diffs (critical=%d warning=%d)",
			rep.Totals.Critical, rep.Totals.Warning, critical, warning)
	}
	if rep.Gate.Decision != "allow" && rep.Gate.Decision != "block" {
		return nil, at, fmt.Errorf("parity report gate decision %q is neither allow nor block", rep.Gate.Decision)
	}
	return &rep, at, nil
}
