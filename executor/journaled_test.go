package executor

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// fullJournal is a journal on a disk that then fills up: its next record
// is refused by the kernel (ENOSPC). fb sends refused records to a
// fallback, as a rollback's journal does.
func fullJournal(t *testing.T, fb bool) *journal.Journal {
	t.Helper()
	disk := testsvc.SmallDisk(t, 64<<10)
	path := journal.Path(disk, "staging")
	var j *journal.Journal
	if fb {
		j = journal.OpenWithFallback(path, journal.Fallback{Env: "staging", Stderr: io.Discard, Dir: t.TempDir()})
	} else {
		var err error
		if j, err = journal.Open(path); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = j.Close() })
	testsvc.FillDisk(t, disk)
	_ = j.Append(journal.Record{Time: time.Now(), Kind: journal.KindProgress, Message: strings.Repeat("x", 8<<10)})
	return j
}

// A step whose journal lost a record is not OK, whatever it observed, and
// says so beside its headline; a rollback is never failed by its journal
// and names the fallback; a healthy journal changes nothing.
func TestJournaledOutcome(t *testing.T) {
	healthy, err := journal.Open(journal.Path(t.TempDir(), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	defer healthy.Close()
	o := Outcome{Step: "P1", OK: true, Message: "P1 PASS:\nevidence"}
	if err := Journaled(healthy, &o, false); err != nil || !o.OK || o.Message != "P1 PASS:\nevidence" {
		t.Errorf("a healthy journal: %v %+v", err, o)
	}

	full := fullJournal(t, false)
	if full.Err() == nil {
		t.Fatal("the full disk took the record: the test proves nothing")
	}
	err = Journaled(full, &o, false)
	if err == nil || !strings.HasPrefix(err.Error(), "P1 not recorded: ") || o.OK ||
		!strings.HasPrefix(o.Message, "P1 PASS, but not journaled: ") || !strings.Contains(o.Message, "no space left on device") {
		t.Errorf("a journal that lost a record: %v %+v", err, o)
	}

	rb := Outcome{Step: "rollback", OK: true, Message: "rolled back"}
	fb := fullJournal(t, true)
	if err := Journaled(fb, &rb, true); err != nil || !rb.OK || !strings.HasPrefix(rb.Message, "rolled back; 1 journal record(s) went to stderr and ") {
		t.Errorf("a rollback whose journal fell back: %v %+v", err, rb)
	}
}
