// Package report writes the post-mortem of a window of a cutover, the
// morning after: report.md (what ran, who approved, the overrides and
// their reasons, the incidents and how long they fired, the rollback and
// how long it took, the timeline, each incident with its evidence) and a
// chart per signal (charts/<signal>.svg: the values the cockpit observed,
// its warn and crit lines, the actions on the time axis), from the
// environment's journal and its recording.
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/runbook"
)

// Point is one observed value of a signal.
type Point struct {
	T time.Time
	V float64
}

// Firing is one span an incident criterion fired for.
type Firing struct {
	Key   string // "I2 write_error_spike"
	Title string
	Start time.Time
	// End is when it stopped firing; zero while it still fired at the
	// window's end.
	End time.Time
	// Rule is its threshold as the criterion states it (> 0.02 for 30s).
	Rule string
	// First and Last are its evidence when it started and last fired.
	First, Last string
	Peak        float64
	HasPeak     bool
}

// data is what the report is drawn from.
type data struct {
	env      string
	from, to time.Time
	records  []journal.Record // the window's, oldest first
	series   map[string][]Point
	firings  []Firing
	rounds   int
	sessions map[string]int // process → rounds
	notes    []string       // what could not be read
}

// gather reads the window's journal records and recorded rounds.
func gather(ctx context.Context, journalPath, recordingDir string, from, to time.Time) (*data, error) {
	d := &data{from: from, to: to, series: map[string][]Point{}, sessions: map[string]int{}}
	recs, err := journal.Read(journalPath)
	var corrupt *journal.CorruptError
	switch {
	case errors.As(err, &corrupt):
		d.notes = append(d.notes, fmt.Sprintf("the journal has %d unreadable line(s), left out", len(corrupt.Lines)))
	case errors.Is(err, os.ErrNotExist):
		d.notes = append(d.notes, "no journal at "+journalPath)
	case err != nil:
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	for _, r := range recs {
		if in(r.Time, from, to) {
			d.records = append(d.records, r)
		}
	}
	slices.SortStableFunc(d.records, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
	fire := newFiringTracker()
	notes, err := recording.Read(recordingDir, recording.Query{From: from, To: to}, func(r recording.Round) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := r.State()
		if err != nil {
			d.notes = append(d.notes, err.Error())
			return nil
		}
		d.add(r, st, fire)
		return nil
	})
	d.notes = append(d.notes, notes...)
	if err != nil {
		return nil, fmt.Errorf("reading the recording: %w", err)
	}
	d.firings = fire.done()
	if d.rounds == 0 {
		d.firings = firingsFromJournal(d.records)
	}
	return d, nil
}

// span is the charts' time axis: the window, or where it is open, the
// first and last thing the journal and the recording hold in it.
func (d *data) span() [2]time.Time {
	lo, hi := d.from, d.to
	widen := func(t time.Time) {
		if d.from.IsZero() && (lo.IsZero() || t.Before(lo)) {
			lo = t
		}
		if d.to.IsZero() && t.After(hi) {
			hi = t
		}
	}
	for _, r := range d.records {
		widen(r.Time)
	}
	for _, pts := range d.series {
		for _, p := range pts {
			widen(p.T)
		}
	}
	return [2]time.Time{lo, hi}
}

func in(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}

// add takes in one recorded round: its values and its incidents.
func (d *data) add(r recording.Round, st runbook.State, fire *firingTracker) {
	d.rounds++
	d.sessions[r.Header.Process]++
	if d.env == "" {
		d.env = st.Env
	}
	if r.Dropped > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%d round(s) not recorded before %s (the recorder was behind)",
			r.Dropped, r.At.UTC().Format(time.TimeOnly)))
	}
	for name, s := range st.Snapshot.Samples {
		if !s.HasValue || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.At.IsZero() {
			continue
		}
		pts := d.series[name]
		if n := len(pts); n > 0 && !s.At.After(pts[n-1].T) {
			continue // the same evaluation again, or another process's older one
		}
		d.series[name] = append(pts, Point{T: s.At, V: s.Value})
	}
	fire.add(r.Header.Session, r.At, st.Incidents)
}

// firingTracker follows each criterion's state round by round, in each
// recording process apart (an operating and a watching cockpit judge at
// their own instants); done merges what they saw.
type firingTracker struct {
	open   map[string]*Firing
	closed []Firing
}

func newFiringTracker() *firingTracker { return &firingTracker{open: map[string]*Firing{}} }

func (f *firingTracker) add(session string, at time.Time, incidents []runbook.IncidentStatus) {
	for _, inc := range incidents {
		key := inc.Runbook + " " + inc.ID
		cur := f.open[session+"\x00"+key]
		if inc.State != runbook.IncidentFiring {
			if cur != nil {
				cur.End = at
				f.closed = append(f.closed, *cur)
				delete(f.open, session+"\x00"+key)
			}
			continue
		}
		if cur == nil {
			cur = &Firing{Key: key, Title: inc.Title, Start: at, First: inc.Evidence,
				Rule: fmt.Sprintf("%s %g for %s", inc.Comparator, inc.Threshold, inc.For)}
			f.open[session+"\x00"+key] = cur
		}
		cur.Last = inc.Evidence
		if inc.HasValue && (!cur.HasPeak || worse(inc.Comparator, inc.Value, cur.Peak)) {
			cur.Peak, cur.HasPeak = inc.Value, true
		}
	}
}

func worse(comparator string, v, than float64) bool {
	if comparator == "<" {
		return v < than
	}
	return v > than
}

// done closes what still fires (End zero: it fired to the window's end)
// and merges the spans of one criterion that overlap, whichever process
// saw them: one firing, from the first that saw it to the last.
func (f *firingTracker) done() []Firing {
	all := f.closed
	for _, cur := range f.open {
		all = append(all, *cur)
	}
	slices.SortFunc(all, func(a, b Firing) int { return cmp.Or(strings.Compare(a.Key, b.Key), a.Start.Compare(b.Start)) })
	var out []Firing
	for _, x := range all {
		n := len(out)
		if n == 0 || out[n-1].Key != x.Key || !overlaps(out[n-1], x) {
			out = append(out, x)
			continue
		}
		merge(&out[n-1], x)
	}
	slices.SortStableFunc(out, func(a, b Firing) int { return a.Start.Compare(b.Start) })
	return out
}

// overlaps is whether b (starting no earlier than a) starts before a ends.
func overlaps(a, b Firing) bool { return a.End.IsZero() || !b.Start.After(a.End) }

// merge widens a to cover b, its last evidence and worst value too.
func merge(a *Firing, b Firing) {
	switch {
	case a.End.IsZero():
	case b.End.IsZero() || b.End.After(a.End):
		a.End, a.Last = b.End, b.Last
	}
	if b.HasPeak && (!a.HasPeak || worse(ruleComparator(a.Rule), b.Peak, a.Peak)) {
		a.Peak, a.HasPeak = b.Peak, true
	}
}

// ruleComparator is the comparator a Firing's rule starts with.
func ruleComparator(rule string) string {
	if strings.HasPrefix(rule, "<") {
		return "<"
	}
	return ">"
}

// firingsFromJournal is the incidents as the journal's verdict records
// tell them (an operating cockpit journals each change), for a window the
// recording does not cover.
func firingsFromJournal(recs []journal.Record) []Firing {
	f := newFiringTracker()
	for _, r := range recs {
		if r.Kind != journal.KindVerdict || len(r.Check) < 3 || r.Check[0] != 'I' || r.Step != "" {
			continue
		}
		var id, name string
		if _, err := fmt.Sscanf(r.Check, "%s %s", &id, &name); err != nil {
			continue
		}
		state := runbook.IncidentOK
		if r.Verdict == runbook.IncidentFiring.String() {
			state = runbook.IncidentFiring
		}
		f.add("journal", r.Time, []runbook.IncidentStatus{{Runbook: id, ID: name, Title: name, State: state, Evidence: r.Evidence}})
	}
	out := f.done()
	for i := range out {
		out[i].Rule = "" // the journal's verdict records carry no threshold
	}
	return out
}
