package notify_test

import (
	"testing"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/notify"
)

func TestScriptedCutoverMapsToItsEvents(t *testing.T) {
	records, want := scriptedCutover()
	var m notify.Mapper
	for i, r := range records {
		e, ok := m.FromRecord(r)
		got := ""
		if ok {
			got = e.Kind
		}
		if got != want[i] {
			t.Errorf("record %d (%s %s %s %s): event %q, want %q", i, r.Kind, r.Step, r.Check, r.Verdict, got, want[i])
		}
		if ok && (e.Env != "prod" || e.Operator != "alice" || !e.At.Equal(r.Time)) {
			t.Errorf("record %d: event %+v lost the record's env, operator or time", i, e)
		}
	}
}

func TestEventsCarryWhatTheTeamReads(t *testing.T) {
	records, _ := scriptedCutover()
	var m notify.Mapper
	byKind := map[string]notify.Event{}
	for _, r := range records {
		if e, ok := m.FromRecord(r); ok {
			byKind[e.Kind] = e
		}
	}
	for kind, want := range map[string]notify.Event{
		notify.KindOverride:         {Step: "S3", Reason: "parity lag is the known replica delay (INC-42)"},
		notify.KindIncidentFiring:   {Check: "I2 write_error_spike", Message: "write error rate 9.1% > 5% for 2m"},
		notify.KindActionDone:       {Step: "S1", Verdict: "OK", Message: "S1 done: 2 sub-step(s) verified"},
		notify.KindRollbackDone:     {Step: "rollback", Verdict: "FAILED"},
		notify.KindActionStarted:    {Step: "S1"},
		notify.KindIncidentResolved: {Check: "I2 write_error_spike", Message: "write error rate 0.4% ≤ 5%"},
	} {
		got := byKind[kind]
		if got.Step != want.Step || got.Check != want.Check || got.Reason != want.Reason ||
			(want.Verdict != "" && got.Verdict != want.Verdict) || (want.Message != "" && got.Message != want.Message) {
			t.Errorf("%s: %+v, want %+v", kind, got, want)
		}
	}
}

// The verdict vocabulary (PENDING, FAIL, PASS) reads like the engine's
// incident states; a pass with nothing firing is no news: a pending that
// clears was never an incident, so it is not told resolved (issue 15: a
// Slack target got "resolved" for an incident that was only pending).
func TestIncidentVerdictsNeedAProblemToResolve(t *testing.T) {
	var m notify.Mapper
	steps := []struct{ check, verdict, want string }{
		{"I2", "PASS", ""},
		{"I2", "PENDING", notify.KindIncidentPending},
		{"I2", "PENDING", ""},
		{"I3", "FAIL", notify.KindIncidentFiring},
		{"I2", "FAIL", notify.KindIncidentFiring},
		{"I2", "UNKNOWN", ""},
		{"I2", "PASS", notify.KindIncidentResolved},
		{"I2", "PASS", ""},
		{"W", "PENDING", notify.KindIncidentPending},
		{"W", "PASS", ""},
		{"W", "PENDING", notify.KindIncidentPending}, // pending anew after it cleared
		{"W", "FAIL", notify.KindIncidentFiring},
		{"W", "PASS", notify.KindIncidentResolved},
		{"I3", "PASS", notify.KindIncidentResolved},
		{"Ix", "FAIL", ""},
		{"V1", "FAIL", ""},
	}
	for i, s := range steps {
		e, ok := m.FromRecord(journal.Record{Kind: journal.KindVerdict, Check: s.check, Verdict: s.verdict})
		if got := map[bool]string{true: e.Kind}[ok]; got != s.want {
			t.Errorf("step %d: %s %s gave %q, want %q", i, s.check, s.verdict, got, s.want)
		}
	}
}

// An action is told started once, by its approval or its first intent,
// and again only after its outcome.
func TestActionStartIsToldOncePerRun(t *testing.T) {
	yes := true
	var m notify.Mapper
	steps := []struct {
		r    journal.Record
		want string
	}{
		{journal.Record{Kind: journal.KindApproval, Step: "S2"}, notify.KindActionStarted},
		{journal.Record{Kind: journal.KindIntent, Step: "S2", Check: "route"}, ""},
		{journal.Record{Kind: journal.KindOutcome, Step: "S2", Check: "route", OK: &yes}, ""},
		{journal.Record{Kind: journal.KindOutcome, Step: "S2"}, notify.KindActionFailed},
		{journal.Record{Kind: journal.KindIntent, Step: "S2", Check: "route"}, notify.KindActionStarted},
		{journal.Record{Kind: journal.KindIntent, Step: "ROLLBACK"}, notify.KindRollbackStarted},
		{journal.Record{Kind: journal.KindOutcome, Step: "ROLLBACK", OK: &yes}, notify.KindRollbackDone},
		{journal.Record{Kind: journal.KindProgress, Step: "S2", Check: "lock", Message: "lock moved"}, ""},
	}
	for i, s := range steps {
		e, ok := m.FromRecord(s.r)
		if got := map[bool]string{true: e.Kind}[ok]; got != s.want {
			t.Errorf("step %d (%s %s %s): %q, want %q", i, s.r.Kind, s.r.Step, s.r.Check, got, s.want)
		}
	}
}
