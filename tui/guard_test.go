package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

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

// countingDown is a model whose header counts a journaled countdown down,
// its cancels (the reasons c journaled) collected in reasons.
func countingDown(t *testing.T, reasons *[]string) *Model {
	t.Helper()
	o := Options{Mode: Operate, Actor: &fakeActor{}, JournalPath: t.TempDir() + "/journal.jsonl", GuardCountdown: 10 * time.Second,
		CancelGuard: func(r string) error { *reasons = append(*reasons, r); return nil }}
	m := newTestModel(t, o, healthyState(), 200, 50)
	if strings.Contains(m.View().Content, "rollback in 0:") {
		t.Fatal("a countdown in the header before any guard journaled one")
	}
	m.Update(guardRead(m, journal.Record{Time: clock.Add(-3 * time.Second), Kind: journal.KindGuard, Verdict: "countdown",
		Message: "I2 write error spike firing 40s: rollback in 0:10 — press c to cancel"}))
	if view := m.View().Content; !strings.Contains(view, "I2 write error spike firing 40s: rollback in 0:07 — press c to cancel") {
		t.Fatalf("the header does not count the countdown down:\n%s", view)
	}
	return m
}

// TestTheHeaderCountsTheGuardDownAndCCancelsIt: a journaled countdown is
// in the header, counted from when it was journaled; c asks for a reason
// (typed and pasted into the prompt, the header counting on above it)
// and Enter journals the cancel with it through CancelGuard; the guard's
// answer replaces the countdown; a stopped guard leaves the header.
func TestTheHeaderCountsTheGuardDownAndCCancelsIt(t *testing.T) {
	var reasons []string
	m := countingDown(t, &reasons)
	if _, cmd := m.Update(keyFor(m.keys.CancelGuard)); cmd != nil {
		t.Fatal("c journaled a cancel before a reason was typed")
	}
	typeText(m, "load test")
	m.Update(tea.PasteMsg{Content: ", not users"})
	view := m.View().Content
	if !strings.Contains(view, "CANCEL the guard's countdown") || !strings.Contains(view, "reason (journaled with your name): > load test, not users_") ||
		!strings.Contains(view, "rollback in 0:07 — press c to cancel") {
		t.Fatalf("the cancel prompt, under a live header:\n%s", view)
	}
	_, cmd := m.Update(keyFor(m.confirm.Confirm))
	if cmd == nil {
		t.Fatal("enter with a reason returned no command")
	}
	m.Update(cmd())
	if len(reasons) != 1 || reasons[0] != "load test, not users" || !strings.Contains(m.status, "cancel journaled") {
		t.Fatalf("cancel reasons %q, status %q", reasons, m.status)
	}
	if strings.Contains(m.View().Content, "CANCEL the guard's countdown") {
		t.Error("the prompt stays open after its cancel was journaled")
	}
	m.Update(guardRead(m, journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "cancel", Reason: "x"},
		journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "cancelled",
			Message: "I2 write error spike firing 41s: countdown cancelled by alice: load test, not users"}))
	head, _, _ := strings.Cut(m.View().Content, "\n")
	if strings.Contains(head, "rollback in 0:") || !strings.Contains(head, "countdown cancelled by alice") {
		t.Fatalf("the header after the guard's answer:\n%s", head)
	}
	m.Update(guardRead(m, journal.Record{Time: clock, Kind: journal.KindGuard, Verdict: "stopped", Message: "guard stopped"}))
	if head, _, _ := strings.Cut(m.View().Content, "\n"); strings.Contains(head, "cancelled by alice") {
		t.Error("a stopped guard's state stays in the header")
	}
}

// TestTheCancelPromptRefusesNoReasonAndEscKeepsTheCountdown: Enter with no
// reason (or only spaces) journals nothing and says why, the prompt open;
// Esc closes it, journals nothing and leaves the countdown in the header.
func TestTheCancelPromptRefusesNoReasonAndEscKeepsTheCountdown(t *testing.T) {
	var reasons []string
	m := countingDown(t, &reasons)
	m.Update(keyFor(m.keys.CancelGuard))
	for _, blank := range []string{"", "   "} {
		typeText(m, blank)
		if _, cmd := m.Update(keyFor(m.confirm.Confirm)); cmd != nil {
			t.Fatalf("enter with the reason %q returned a command", blank)
		}
		view := m.View().Content
		if !strings.Contains(view, "no reason typed: a cancel is journaled with who and why") || !strings.Contains(view, "CANCEL the guard's countdown") {
			t.Fatalf("enter with the reason %q:\n%s", blank, view)
		}
	}
	typeText(m, "q") // text in the prompt, not the quit key
	if m.quitting || !strings.Contains(m.View().Content, ">    q_") {
		t.Fatalf("q in the prompt: quitting %t\n%s", m.quitting, m.View().Content)
	}
	if _, cmd := m.Update(keyFor(m.confirm.Cancel)); cmd != nil {
		t.Fatal("esc returned a command")
	}
	view := m.View().Content
	if strings.Contains(view, "CANCEL the guard's countdown") || !strings.Contains(view, "rollback in 0:07 — press c to cancel") ||
		!strings.Contains(m.status, "countdown runs on (nothing journaled)") {
		t.Fatalf("after esc, status %q:\n%s", m.status, view)
	}
	if len(reasons) != 0 {
		t.Fatalf("cancels journaled %q, want none", reasons)
	}
	m.Update(keyFor(m.keys.CancelGuard)) // a new prompt starts empty
	if !strings.Contains(m.View().Content, "reason (journaled with your name): > _") {
		t.Errorf("a reopened prompt is not empty:\n%s", m.View().Content)
	}
}

func TestCIsUnboundWithoutACanceller(t *testing.T) {
	m := newTestModel(t, Options{Mode: Watch}, healthyState(), 200, 50)
	if m.keys.CancelGuard.Enabled() {
		t.Error("c is bound on a screen that cannot cancel")
	}
	m.Update(typed("c"))
	if strings.Contains(m.View().Content, "CANCEL the guard's countdown") {
		t.Error("c opened the cancel prompt on a screen that cannot cancel")
	}
	failing := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}, CancelGuard: func(string) error { return errors.New("disk full") }}, healthyState(), 200, 50)
	failing.Update(keyFor(failing.keys.CancelGuard))
	typeText(failing, "drill")
	_, cmd := failing.Update(keyFor(failing.confirm.Confirm))
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
