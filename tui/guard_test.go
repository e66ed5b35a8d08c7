package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// guardRead is the reply to a journal read the model has in flight (one
// is started when none is), holding a guard's records.
func guardRead(m *Model, recs ...journal.Record) journalReadMsg {
	if !m.obs.journal.inFlight {
		m.obs.journal.start()
	}
	return journalReadMsg{Seq: m.obs.journal.seq, Records: recs}
}

// TestTheHeaderCountsTheGuardDownAndCCancelsIt: a journaled countdown is
// in the header, counted from when it was journaled; c journals the
// cancel through CancelGuard; the guard's answer replaces the countdown;
// a stopped guard leaves the header.
func TestTheHeaderCountsTheGuardDownAndCCancelsIt(t *testing.T) {
	var reasons []string
	o := Options{Mode: Operate, Actor: &fakeActor{}, JournalPath: t.TempDir() + "/journal.jsonl", GuardCountdown: 10 * time.Second,
		CancelGuard: func(r string) error { reasons = append(reasons, r); return nil }}
	m := newTestModel(t, o, healthyState(), 200, 50)
	if strings.Contains(m.View().Content, "rollback in 0:") {
		t.Fatal("a countdown in the header before any guard journaled one")
	}
	m.Update(guardRead(m, journal.Record{Time: clock.Add(-3 * time.Second), Kind: journal.KindGuard, Verdict: "countdown",
		Message: "I2 write error spike firing 40s: rollback in 0:10 — press c to cancel"}))
	if view := m.View().Content; !strings.Contains(view, "I2 write error spike firing 40s: rollback in 0:07 — press c to cancel") {
		t.Fatalf("the header does not count the countdown down:\n%s", view)
	}
	_, cmd := m.Update(keyFor(m.keys.CancelGuard))
	if cmd == nil {
		t.Fatal("c returned no command")
	}
	m.Update(cmd())
	if len(reasons) != 1 || reasons[0] != guardCancelReason || !strings.Contains(m.status, "cancel journaled") {
		t.Fatalf("cancel reasons %q, status %q", reasons, m.status)
	}
	m.Update(guardRead(m, journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "cancel", Reason: "x"},
		journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "cancelled",
			Message: "I2 write error spike firing 41s: countdown cancelled by alice: " + guardCancelReason}))
	head, _, _ := strings.Cut(m.View().Content, "\n")
	if strings.Contains(head, "rollback in 0:") || !strings.Contains(head, "countdown cancelled by alice") {
		t.Fatalf("the header after the guard's answer:\n%s", head)
	}
	m.Update(guardRead(m, journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "stopped", Message: "guard stopped"}))
	if head, _, _ := strings.Cut(m.View().Content, "\n"); strings.Contains(head, "cancelled by alice") {
		t.Error("a stopped guard's state stays in the header")
	}
}

func TestCIsUnboundWithoutACanceller(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 200, 50)
	if m.keys.CancelGuard.Enabled() {
		t.Error("c is bound on a screen that cannot cancel")
	}
	failing := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}, CancelGuard: func(string) error { return errors.New("disk full") }}, healthyState(), 200, 50)
	_, cmd := failing.Update(keyFor(failing.keys.CancelGuard))
	failing.Update(cmd())
	if !strings.Contains(failing.status, "not cancelled: disk full") {
		t.Errorf("status %q after a cancel that failed", failing.status)
	}
}

// TestAFollowerShowsAnotherMachinesGuardOnlyWhenVerified: a guard state
// published by another machine shows when a team key signed it, never
// when it is unverified.
func TestAFollowerShowsAnotherMachinesGuardOnlyWhenVerified(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch, JournalPath: t.TempDir() + "/journal.jsonl"}, healthyState(), 200, 50)
	holding := journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "holding",
		Message: "I2 write error spike: holding: rust_write_error_rate stale for 2m"}
	forged := holding
	forged.Shared = &journal.Provenance{Origin: "b", Problem: "unsigned"}
	msg := guardRead(m)
	msg.Theirs = []journal.Record{forged}
	m.Update(msg)
	if head, _, _ := strings.Cut(m.View().Content, "\n"); strings.Contains(head, "holding") {
		t.Fatalf("an unverified guard state is in the header:\n%s", head)
	}
	signed := holding
	signed.Shared = &journal.Provenance{Origin: "b", Verified: true}
	msg = guardRead(m)
	msg.Theirs = []journal.Record{signed}
	m.Update(msg)
	if head, _, _ := strings.Cut(m.View().Content, "\n"); !strings.Contains(head, "holding: rust_write_error_rate stale for 2m") {
		t.Fatalf("a verified guard state is not in the header:\n%s", head)
	}
}
