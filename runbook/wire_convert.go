package runbook

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/openagents/cockpit/metrics"
)

// feedItems are the runbook items a decoded state points at: a follower
// shows its own runbook's words for an item ID, never a row's.
var feedItems = RunbookItems()

// toWire is s in wire form; an item status without its item is refused.
func toWire(s State) (wireState, error) {
	w := wireState{Env: s.Env, Production: s.Production, At: s.At,
		Observed: wireObserved{RustWriteMode: resultToWire(s.Observed.RustWriteMode), LegacyFreeze: resultToWire(s.Observed.LegacyFreeze),
			WriteTarget: resultToWire(s.Observed.WriteTarget), CohortPercent: wireFloat(s.Observed.CohortPercent)},
		Incidents:   mapList(s.Incidents, incidentToWire),
		Snapshot:    snapshotToWire(s.Snapshot),
		Health:      mapList(s.Health, resultToWire),
		Writers:     wireWriters{Rust: s.Writers.Rust.String(), Legacy: s.Writers.Legacy.String()},
		Checkpoints: resultToWire(s.Checkpoints), Staging: resultToWire(s.Staging),
		History: historyToWire(s.History),
		Parity: wireParity{Result: resultToWire(s.Parity.Result), Decision: s.Parity.Decision, Critical: s.Parity.Critical,
			Warning: s.Parity.Warning, Path: s.Parity.Path, Generated: s.Parity.Generated},
	}
	if s.Items != nil {
		w.Items = make([]wireItem, len(s.Items))
	}
	for i, it := range s.Items {
		if it.Item == nil {
			return wireState{}, fmt.Errorf("item status %d has no runbook item", i)
		}
		w.Items[i] = wireItem{ID: it.Item.ID, Verdict: it.Verdict, Checks: mapList(it.Checks, resultToWire),
			Awaits: it.Awaits, Progress: it.Progress, NA: it.NotApplicable}
	}
	return w, nil
}

// fromWire is the State a decoded (and cleaned) wire state describes; an
// item ID not in the runbook or an incident state without a name is refused.
func fromWire(w wireState) (State, error) {
	s := State{Env: w.Env, Production: w.Production, At: w.At,
		Observed: Observed{RustWriteMode: w.Observed.RustWriteMode.result(), LegacyFreeze: w.Observed.LegacyFreeze.result(),
			WriteTarget: w.Observed.WriteTarget.result(), CohortPercent: float64(w.Observed.CohortPercent)},
		Snapshot:    w.Snapshot.snapshot(),
		Health:      mapList(w.Health, wireResult.result),
		Writers:     Writers{Rust: parseFreezeState(w.Writers.Rust), Legacy: parseFreezeState(w.Writers.Legacy)},
		Checkpoints: w.Checkpoints.result(), Staging: w.Staging.result(),
		History: w.History.history(),
		Parity: ParityStatus{Result: w.Parity.Result.result(), Decision: w.Parity.Decision, Critical: w.Parity.Critical,
			Warning: w.Parity.Warning, Path: w.Parity.Path, Generated: w.Parity.Generated},
	}
	if w.Items != nil {
		s.Items = make([]ItemStatus, len(w.Items))
	}
	for i, it := range w.Items {
		item := FindItem(feedItems, it.ID)
		if item == nil {
			return State{}, fmt.Errorf("item %q is not in the runbook", it.ID)
		}
		s.Items[i] = ItemStatus{Item: item, Verdict: it.Verdict, Checks: mapList(it.Checks, wireResult.result),
			Awaits: it.Awaits, Progress: it.Progress, NotApplicable: it.NA}
	}
	if w.Incidents != nil {
		s.Incidents = make([]IncidentStatus, len(w.Incidents))
	}
	for i, in := range w.Incidents {
		inc, err := in.incident()
		if err != nil {
			return State{}, err
		}
		s.Incidents[i] = inc
	}
	return s, nil
}

func incidentToWire(in IncidentStatus) wireIncident {
	return wireIncident{ID: in.ID, Runbook: in.Runbook, Title: in.Title, State: in.State.String(), Value: optFloat(in.Value, in.HasValue),
		HasValue: in.HasValue, Threshold: wireFloat(in.Threshold), Comparator: in.Comparator, For: in.For,
		PendingFor: in.PendingFor, Unit: in.Unit, Evidence: in.Evidence, Insufficient: in.Insufficient, At: in.At}
}

// incident reads the state back by name: an IncidentState out of range
// would panic where it is named.
func (w wireIncident) incident() (IncidentStatus, error) {
	state, ok := IncidentUnknown, false
	for s := IncidentUnknown; s <= IncidentNotJudged; s++ {
		if s.String() == w.State {
			state, ok = s, true
		}
	}
	if !ok {
		return IncidentStatus{}, fmt.Errorf("incident %q: state %q is none of unknown, ok, pending, firing, n/a", w.ID, w.State)
	}
	return IncidentStatus{ID: w.ID, Runbook: w.Runbook, Title: w.Title, State: state, Value: w.Value.float(),
		HasValue: w.HasValue && w.Value != nil, Threshold: float64(w.Threshold), Comparator: w.Comparator, For: w.For,
		PendingFor: w.PendingFor, Unit: w.Unit, Evidence: w.Evidence, Insufficient: w.Insufficient, At: w.At}, nil
}

func exporterToWire(e metrics.Exporter) wireExporter {
	return wireExporter{Up: wireFloat(e.Up), HasUp: e.HasUp, UpAt: e.UpAt, SeriesAt: e.SeriesAt, AskSeries: e.AskSeries, At: e.At, Err: errString(e.Err)}
}

func (w wireExporter) exporter() metrics.Exporter {
	return metrics.Exporter{Up: float64(w.Up), HasUp: w.HasUp, UpAt: w.UpAt, SeriesAt: w.SeriesAt, AskSeries: w.AskSeries, At: w.At, Err: stringErr(w.Err)}
}

func snapshotToWire(s metrics.Snapshot) wireSnapshot {
	w := wireSnapshot{Seq: s.Seq, At: s.At, Fallback: s.Fallback}
	if s.Samples == nil {
		return w
	}
	w.Samples = make([]wireSample, 0, len(s.Samples))
	for _, name := range slices.Sorted(maps.Keys(s.Samples)) {
		smp := s.Samples[name]
		w.Samples = append(w.Samples, wireSample{Name: name, Signal: smp.Signal, Query: smp.Query, Value: optFloat(smp.Value, smp.HasValue),
			HasValue: smp.HasValue, Series: smp.Series, Volume: optFloat(smp.Volume, smp.HasVolume), HasVolume: smp.HasVolume,
			History: mapList(smp.History, func(p metrics.Point) wirePoint { return wirePoint{T: p.T, V: wireFloat(p.V)} }),
			At:      smp.At, DataAt: smp.DataAt, Silent: smp.Silent, Exporter: exporterToWire(smp.Exporter),
			Window: smp.Window, Err: errString(smp.Err), Warnings: smp.Warnings})
	}
	return w
}

// snapshot builds the samples map from a bounded list: its size is the
// list's, never a number the row states.
func (w wireSnapshot) snapshot() metrics.Snapshot {
	s := metrics.Snapshot{Seq: w.Seq, At: w.At, Fallback: w.Fallback}
	if w.Samples == nil {
		return s
	}
	s.Samples = make(map[string]metrics.Sample, len(w.Samples))
	for _, smp := range w.Samples {
		s.Samples[smp.Name] = metrics.Sample{Signal: smp.Signal, Query: smp.Query, Value: smp.Value.float(),
			HasValue: smp.HasValue && smp.Value != nil, Series: smp.Series, Volume: smp.Volume.float(), HasVolume: smp.HasVolume && smp.Volume != nil,
			History: mapList(smp.History, func(p wirePoint) metrics.Point { return metrics.Point{T: p.T, V: float64(p.V)} }),
			At:      smp.At, DataAt: smp.DataAt, Silent: smp.Silent, Exporter: smp.Exporter.exporter(),
			Window: smp.Window, Err: stringErr(smp.Err), Warnings: smp.Warnings}
	}
	return s
}

func historyToWire(h History) wireHistory {
	w := wireHistory{ModeChanged: h.ModeChanged, WriteProbe: h.WriteProbe, RollbackStarted: h.RollbackStarted,
		RustAuthority: h.RustAuthority, LegacyAuthority: h.LegacyAuthority,
		Open: h.Open, LegacyFrozenProbe: probeToWire(h.LegacyFrozenProbe), RustFrozenProbe: probeToWire(h.RustFrozenProbe),
		Err: errString(h.Err), ProbeRun: h.ProbeRun, RunLost: h.RunLost}
	w.Done = entries(h.Done, func(k string, v time.Time) wireDone { return wireDone{Step: k, At: v} })
	w.DoneBy = entries(h.DoneBy, func(k string, v Actor) wireDoneBy {
		return wireDoneBy{Step: k, Operator: v.Operator, Host: v.Host, Origin: v.Origin}
	})
	w.Last = entries(h.Last, func(k string, v LastRun) wireLast { return wireLast{Step: k, Run: v} })
	w.SubSteps = entries(h.SubSteps, func(k string, v []string) wireSubSteps { return wireSubSteps{Step: k, Values: v} })
	return w
}

func (w wireHistory) history() History {
	h := History{ModeChanged: w.ModeChanged, WriteProbe: w.WriteProbe, RollbackStarted: w.RollbackStarted,
		RustAuthority: w.RustAuthority, LegacyAuthority: w.LegacyAuthority,
		Open: w.Open, LegacyFrozenProbe: w.LegacyFrozenProbe.probe(), RustFrozenProbe: w.RustFrozenProbe.probe(),
		Err: stringErr(w.Err), ProbeRun: w.ProbeRun, RunLost: w.RunLost}
	h.Done = fromEntries(w.Done, func(e wireDone) (string, time.Time) { return e.Step, e.At })
	h.DoneBy = fromEntries(w.DoneBy, func(e wireDoneBy) (string, Actor) {
		return e.Step, Actor{Operator: e.Operator, Host: e.Host, Origin: e.Origin}
	})
	h.Last = fromEntries(w.Last, func(e wireLast) (string, LastRun) { return e.Step, e.Run })
	h.SubSteps = fromEntries(w.SubSteps, func(e wireSubSteps) (string, []string) { return e.Step, e.Values })
	return h
}

// entries is a map as a list in key order (nil for nil).
func entries[K interface{ ~string }, V, E any](m map[K]V, f func(K, V) E) []E {
	if m == nil {
		return nil
	}
	out := make([]E, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, f(k, m[k]))
	}
	return out
}

// fromEntries is entries' inverse; a repeated key keeps its last value.
func fromEntries[E any, K comparable, V any](list []E, f func(E) (K, V)) map[K]V {
	if list == nil {
		return nil
	}
	m := make(map[K]V, len(list))
	for _, e := range list {
		k, v := f(e)
		m[k] = v
	}
	return m
}
