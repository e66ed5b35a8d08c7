package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runbookDoc is where the repository keeps the runbook the items are
// copied from, relative to the module root (the directory holding go.mod):
// its §1 is the runbook word for word, so the items cannot drift from it
// unseen on any clone.
const runbookDoc = "docs/runbook.md"

// moduleRoot walks up from the test's working directory (its package's
// directory) to the one holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}

func TestItemsAreTheRunbooksOwnWords(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), filepath.FromSlash(runbookDoc)))
	if err != nil {
		t.Fatalf("the runbook: %v", err)
	}
	doc := string(raw)
	for _, it := range RunbookItems() {
		num := it.ID[1:]
		if !strings.Contains(doc, num+". "+it.Text+"\n") {
			t.Errorf("%s text is not the runbook's item %s verbatim (%s §1):\n%s", it.ID, num, runbookDoc, it.Text)
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
