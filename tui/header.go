package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/runbook"
)

// writeShareSignal tells where writes go (the write target and cohort).
const writeShareSignal = "rust_write_share"

// headerPart is one value of the header line in a long and a short form.
// A part that may go (the clock, a quiet writers count) goes before the
// header is ever cut: the environment, the mode badge, Rust's mode, the
// freeze, the write target and the cohort stay at every width from 80.
type headerPart struct {
	long, short string
	optional    bool
	// spare parts stay after the optional ones go, and go only when the
	// parts that stay at every width fill the line on their own.
	spare bool
}

// header is the top line: where the cutover stands, as observed, the clock
// and the mode badge. Every value comes from the last observation round.
// The clock shows hours and minutes: the panes' ages say how fresh each
// value is to the second, the journal and the lock holder are in minutes,
// and a clock that ticks every second would redraw the header as often.
// It is made to fit by abbreviating whole words and dropping optional
// parts, never by cutting a word in half.
func header(c *common, s runbook.State, width int, now time.Time) string {
	st := c.styles
	env := headerPart{long: st.Header.Render("CUTOVER " + c.env), short: st.Header.Render(c.env)}
	if c.production {
		env = headerPart{long: st.Crit.Render("CUTOVER " + c.env + " [PRODUCTION]"), short: st.Crit.Render(c.env + " [PROD]")}
	}
	badge, clock := " "+c.mode.String()+" ", []headerPart{{long: now.Format("15:04"), optional: true}}
	if c.mode == Replay { // the replay's clock is the badge, to the second: it is what the screen shows
		badge, clock = " REPLAY "+now.Format("15:04:05")+" ", nil
	}
	parts := []headerPart{{long: st.Badge.Render(badge)}, env}
	writers, loud := "", false
	if in, ok := writersOf(s); ok {
		writers, loud = writersMarker(c, s, in)
	}
	if loud {
		parts = append(parts, headerPart{long: writers, short: writers})
	}
	if m := misroutedMarker(c, s); m != "" {
		parts = append(parts, headerPart{long: m, short: m})
	}
	shareStale := c.staleSignal(writeShareSignal, s.Snapshot.Samples[writeShareSignal].Age(now))
	rust := observedValue(c, s.Observed.RustWriteMode, c.stale(s.Observed.RustWriteMode.Age(now)))
	legacy := observedValue(c, s.Observed.LegacyFreeze, c.stale(s.Observed.LegacyFreeze.Age(now)))
	target := observedValue(c, s.Observed.WriteTarget, shareStale)
	share := cohort(c, s, shareStale)
	parts = append(parts, clock...)
	parts = append(parts,
		headerPart{long: "rust: " + rust, short: "rust " + rust},
		headerPart{long: "legacy: " + legacy, short: "legacy " + legacy},
		headerPart{long: "writes → " + target + st.Muted.Render(" · ") + "cohort " + share, short: "→ " + target + " " + share},
	)
	if g, ok := guardBanner(c, now); ok {
		parts = append(parts, g)
	}
	if holder := lockHolder(s, now); holder != "" {
		parts = append(parts, headerPart{long: st.Warn.Render("lock: " + holder), optional: true})
	}
	if writers != "" && !loud {
		parts = append(parts, headerPart{long: writers, short: writers, optional: true})
	}
	if p := timelineProblem(c); p != "" {
		parts = append(parts, headerPart{long: st.Warn.Render("timeline: " + p), short: st.Warn.Render(shortProblem(p)), spare: true})
	}
	return fit(fitParts(parts, width, st.Muted.Render(" · "), " "), width)
}

// fitParts joins the parts in the first form that fits width: long, long
// without optional parts, short, short without optional parts, short with
// a narrow separator, then that without spare parts. Only a value wider
// than the screen is ever cut.
func fitParts(parts []headerPart, width int, sep, narrowSep string) string {
	join := func(short, dropOptional, dropSpare bool, sep string) string {
		words := make([]string, 0, len(parts))
		for _, p := range parts {
			if dropOptional && p.optional || dropSpare && p.spare {
				continue
			}
			w := p.long
			if short && p.short != "" {
				w = p.short
			}
			words = append(words, w)
		}
		return strings.Join(words, sep)
	}
	tries := []string{
		join(false, false, false, sep), join(false, true, false, sep),
		join(true, false, false, sep), join(true, true, false, sep), join(true, true, false, narrowSep),
	}
	for _, line := range tries {
		if ansi.StringWidth(line) <= width {
			return line
		}
	}
	return join(true, true, true, narrowSep)
}

// observedValue shows an observed value coloured by its verdict; missing or
// stale observations say so instead of showing an old value as current.
func observedValue(c *common, r checks.Result, stale bool) string {
	st := c.styles
	v := r.Evidence.Value
	switch {
	case v == "" || r.Verdict == checks.Unknown:
		return st.Stale.Render("unknown")
	case stale:
		return st.Stale.Render(v + " (stale)")
	default:
		return st.Verdict(r.Verdict).Render(v)
	}
}

// cohort is the share of writes on rust; before the first round it is
// unknown, not 0%, and an old share says it is stale.
func cohort(c *common, s runbook.State, stale bool) string {
	pct := s.Observed.CohortPercent
	switch {
	case s.At.IsZero() || math.IsNaN(pct):
		return c.styles.Stale.Render("unknown")
	case stale:
		return c.styles.Stale.Render(fmt.Sprintf("%.0f%% (stale)", pct))
	}
	return fmt.Sprintf("%.0f%%", pct)
}

// lockHolder is who holds the environment's lock, from the journal (this
// machine's and the shared timeline): "S1 by alice since 07:44", or "".
func lockHolder(s runbook.State, now time.Time) string {
	id, p, ok := journaledAction(s)
	if !ok {
		return ""
	}
	return id + by(p.Operator) + " since " + p.At.In(now.Location()).Format("15:04")
}

// journaledAction is the action the journal shows running (R1–R4 are the
// rollback's), with its progress.
func journaledAction(s runbook.State) (string, runbook.StepProgress, bool) {
	for _, it := range s.Items {
		if p := it.Progress; p.State.Underway() {
			if it.Item.Kind == runbook.Rollback {
				return runbook.RollbackID, p, true
			}
			return it.Item.ID, p, true
		}
	}
	return "", runbook.StepProgress{}, false
}

// timelineProblem is why the shared timeline does not do its job, cleaned
// for the screen; "" when it does. It outlasts the optional parts (its
// short form is "UNPUBLISHED"): a cockpit whose actions the team cannot
// see must not look like one whose actions it can.
func timelineProblem(c *common) string {
	if c.timeline == nil {
		return ""
	}
	return safetext.CleanN(c.timeline(), 80)
}

// shortProblem is a problem's words before its reason, in one capital
// word: "not published: permission denied" is UNPUBLISHED.
func shortProblem(p string) string {
	head, _, _ := strings.Cut(p, ":")
	return strings.ToUpper(strings.Replace(head, "not ", "un", 1))
}
