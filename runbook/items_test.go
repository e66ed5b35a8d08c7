package runbook

import (
	"os"
	"strings"
	"testing"
)

// The runbook file the items are copied from; the test proves every item's
// words appear in it verbatim, so the model cannot drift from the runbook.
const runbookPath = "/work/shared/runbook/rust-runtime-authority-cutover.md"

func TestItemsAreTheRunbooksOwnWords(t *testing.T) {
	raw, err := os.ReadFile(runbookPath)
	if err != nil {
		t.Skipf("runbook not available here: %v", err)
	}
	doc := string(raw)
	for _, it := range RunbookItems() {
		num := it.ID[1:]
		if !strings.Contains(doc, num+". "+it.Text+"\n") {
			t.Errorf("%s text is not the runbook's item %s verbatim:\n%s", it.ID, num, it.Text)
		}
	}
}

func TestItemsExistOnceEachInRunbookOrder(t *testing.T) {
	var ids []string
	for _, it := range RunbookItems() {
		ids = append(ids, it.ID)
	}
	want := "P1 P2 P3 P4 S1 S2 S3 S4 V1 V2 V3 V4 R1 R2 R3 R4 I1 I2 I3"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("items = %s, want %s", got, want)
	}
}

func TestOnlyActingItemsNeedConfirmationAndProductionNeedsTyping(t *testing.T) {
	for _, it := range RunbookItems() {
		acting := it.Kind == Step || it.Kind == Rollback || it.ID == "V1"
		if acting && it.ConfirmFor(false) != ConfirmYesNo {
			t.Errorf("%s in staging: confirm %v, want y/n", it.ID, it.ConfirmFor(false))
		}
		if acting && it.ConfirmFor(true) != ConfirmTyped {
			t.Errorf("%s in production: confirm %v, want typed", it.ID, it.ConfirmFor(true))
		}
		if !acting && (it.Writes || it.ConfirmFor(true) != ConfirmNone) {
			t.Errorf("%s is a check but writes=%v confirm=%v", it.ID, it.Writes, it.ConfirmFor(true))
		}
	}
}

func TestItemsAreFreshCopies(t *testing.T) {
	a := RunbookItems()
	a[0].Title = "changed"
	if FindItem(RunbookItems(), "P1").Title == "changed" {
		t.Fatal("a caller's change leaked into another caller's items")
	}
	if FindItem(a, "Z9") != nil {
		t.Fatal("FindItem found an item that does not exist")
	}
}
