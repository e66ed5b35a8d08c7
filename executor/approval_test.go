package executor

import (
	"strings"
	"testing"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// TestAnApprovalCarriesItsApproversEvidence: the guard's rollback is
// journaled as approved via guard, with the incident's evidence on the
// approval record.
func TestAnApprovalCarriesItsApproversEvidence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	h.world.gates = nil
	p, err := h.x.Plan(t.Context(), runbook.RollbackID)
	if err != nil {
		t.Fatal(err)
	}
	const evidence = "I2 write_error_spike firing 03:00:10Z (held 40s, for 30s): rust: 9.1% > 2%"
	if _, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice", Via: "guard", Evidence: evidence}, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := journal.Read(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind == journal.KindApproval && r.Step == runbook.RollbackID {
			if r.Message != "approved via guard" || !strings.HasPrefix(r.Evidence, evidence) {
				t.Errorf("approval %q with evidence %q, want via guard with the incident's evidence", r.Message, r.Evidence)
			}
			return
		}
	}
	t.Fatal("no rollback approval journaled")
}
