package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

func writeLines(t testing.TB, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := f.WriteString(l); err != nil {
			t.Fatal(err)
		}
	}
}

func rec(kind, step, check, verdict string) string {
	return fmt.Sprintf(`{"time":"2026-03-01T10:00:00Z","kind":%q,"step":%q,"check":%q,"verdict":%q}`+"\n", kind, step, check, verdict)
}

func TestJournalWindowReadsIncrementallyAndKeepsTheNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	jw := newJournalWindow(path, nil)
	if msg := jw.read(); len(msg.Records) != 0 || msg.Err != nil {
		t.Fatalf("no journal yet: %+v", msg)
	}
	for i := range timelineKeep + 50 {
		writeLines(t, path, rec("progress", fmt.Sprintf("s%d", i), "", ""))
	}
	msg := jw.read()
	if len(msg.Records) != timelineKeep || msg.Records[0].Step != "s50" || msg.Records[timelineKeep-1].Step != fmt.Sprintf("s%d", timelineKeep+49) {
		t.Fatalf("window of %d records from %s", len(msg.Records), msg.Records[0].Step)
	}
	writeLines(t, path, rec("approval", "S1", "", ""))
	msg = jw.read()
	if last := msg.Records[len(msg.Records)-1]; last.Step != "S1" || len(msg.Records) != timelineKeep {
		t.Fatalf("after one more: %d records ending %+v", len(msg.Records), last)
	}
}

func TestJournalWindowReportsATornLineAndGoesOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	jw := newJournalWindow(path, nil)
	writeLines(t, path, rec("approval", "S1", "", ""), `{"time":"2026-03-01T10:00:00Z","kind":"outc`)
	if msg := jw.read(); len(msg.Records) != 1 || msg.Err != nil {
		t.Fatalf("first read: %d records, err %v (a line may be mid-write: not reported yet)", len(msg.Records), msg.Err)
	}
	msg := jw.read()
	if msg.Err == nil || !strings.Contains(msg.Err.Error(), "last line unfinished") || len(msg.Records) != 1 {
		t.Fatalf("a line still unfinished a round later: %d records, err %v", len(msg.Records), msg.Err)
	}
	// The next operator's journal.Open ends the torn line.
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Time: time.Now(), Kind: journal.KindOutcome, Step: "S1"}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	msg = jw.read()
	if msg.Err == nil || !strings.Contains(msg.Err.Error(), "skipped torn or corrupt journal line(s) 2") || len(msg.Records) != 2 {
		t.Fatalf("after the repair: %d records, err %v", len(msg.Records), msg.Err)
	}
	if strings.Contains(msg.Err.Error(), "\n") {
		t.Errorf("the error %q spans lines", msg.Err)
	}
}

// Operating processes journal each probe answer again before it goes stale
// for watchers; the timeline shows only the changes.
func TestJournalWindowShowsProbeAnswersOnlyWhenTheyChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	jw := newJournalWindow(path, nil)
	writeLines(t, path,
		rec("verdict", "", "probe.legacy_frozen", "accepting"),
		rec("verdict", "", "probe.legacy_frozen", "accepting"),
		rec("verdict", "", "V2", "FAIL"),
		rec("verdict", "", "probe.legacy_frozen", "frozen"),
		rec("verdict", "", "probe.legacy_frozen", "frozen"))
	msg := jw.read()
	var got []string
	for _, r := range msg.Records {
		got = append(got, r.Check+"="+r.Verdict)
	}
	if want := "probe.legacy_frozen=accepting V2=FAIL probe.legacy_frozen=frozen"; strings.Join(got, " ") != want {
		t.Fatalf("timeline %q, want %q", strings.Join(got, " "), want)
	}
}

// BenchmarkJournalTick is the screen's journal read per tick with 0, 1k
// and 100k records already in the journal: one record appended, then read.
// Its cost must not grow with the journal (docs/design.md §9).
func BenchmarkJournalTick(b *testing.B) {
	for _, n := range []struct {
		name  string
		count int
	}{{"0", 0}, {"1k", 1000}, {"100k", 100_000}} {
		b.Run(n.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "journal.jsonl")
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			for i := range n.count {
				fmt.Fprintf(f, `{"time":"2026-03-01T10:00:00Z","kind":"verdict","env":"staging","check":"I%d","verdict":"PASS","evidence":"sum(rate(run_googleapis_com:request_count[5m])) → 0.001 < 0.01 → PASS"}`+"\n", i%3+1)
			}
			jw := newJournalWindow(path, nil)
			jw.read()
			line := []byte(rec("verdict", "", "V2", "PASS"))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := f.Write(line); err != nil {
					b.Fatal(err)
				}
				if msg := jw.read(); msg.Err != nil || len(msg.Records) == 0 {
					b.Fatalf("%+v", msg.Err)
				}
			}
		})
	}
}

// read is one journal read as the program makes it: the command's I/O,
// then Update's apply.
func (j *journalWindow) read() journalMsg {
	msg, ok, _ := j.apply(j.start()().(journalReadMsg))
	if !ok {
		panic("a lone read was taken for a stale one")
	}
	return msg
}
