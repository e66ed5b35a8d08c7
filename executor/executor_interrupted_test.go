package executor

import (
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

func TestAnActionKilledMidwayIsClosedInTheJournalBeforeTheNextOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	// What a killed `cockpit run S1` leaves: the approval and one intent.
	earlier, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 14, 3, 5, 0, time.UTC)
	for _, r := range []journal.Record{
		{Time: at, Kind: journal.KindApproval, Step: "S1", Operator: "bob"},
		{Time: at, Kind: journal.KindIntent, Step: "S1", Check: "set_rust_write_mode=rust_active", Operator: "bob"},
	} {
		if err := earlier.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	_ = earlier.Close()

	p, err := h.x.Plan(t.Context(), "S1")
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", Via: "test"}, func(pr Progress) { told = append(told, pr.Message) })
	if err != nil || !out.OK {
		t.Fatalf("S1 after an interrupted S1: %+v, %v", out, err)
	}
	recs := h.records(t)
	closed := recs[2] // after the earlier approval and intent, before alice's approval
	if closed.Kind != journal.KindOutcome || closed.Step != "S1" || closed.OK == nil || *closed.OK ||
		!strings.Contains(closed.Message, "approved by bob at 2026-11-27 14:03:05Z but no outcome was journaled") {
		t.Fatalf("the interrupted S1 is not closed in the journal: %+v", closed)
	}
	if len(told) == 0 || !strings.Contains(told[0], "interrupted: S1") {
		t.Errorf("the operator was not told about the interrupted S1: %q", told)
	}
	if got := runbook.ReadHistory(h.x.journal.Path()).Open; len(got) != 0 {
		t.Errorf("still unfinished after the new S1 ran: %+v", got)
	}
}
