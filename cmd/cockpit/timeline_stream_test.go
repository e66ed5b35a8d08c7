package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openagents/cockpit/internal/journalgen"
	"github.com/openagents/cockpit/journal"
)

// seqInLine is the record number journalgen writes into every record.
var seqInLine = regexp.MustCompile(`#([0-9]+)`)

// timelineSeqs is the record numbers of a text timeline, line by line
// (-1 for a line that names none).
func timelineSeqs(out string) []int {
	var seqs []int
	for line := range strings.Lines(out) {
		m := seqInLine.FindStringSubmatch(line)
		n := -1
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		seqs = append(seqs, n)
	}
	return seqs
}

// The timeline of a long journal (issue 16: 100k records) is streamed, and
// nothing is lost on the way: every record but a probe's unchanged answer,
// each once, in journal order. Time and memory are measured by hand
// (scripts/genjournal, /usr/bin/time -v) and by BenchmarkTimeline.
func TestTimelineOfAHundredThousandRecordsIsCompleteAndInOrder(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	shown, err := journalgen.Write(journal.Path(filepath.Join(w.dir, "state"), "staging"), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCockpit(t, "timeline", "--config", w.config, "--env", "staging")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	got := timelineSeqs(stdout)
	if len(got) != len(shown) {
		t.Fatalf("%d lines, want %d (100000 records less the probes' unchanged answers)", len(got), len(shown))
	}
	for i := range got {
		if got[i] != shown[i] {
			t.Fatalf("line %d is record %d, want %d: %q", i+1, got[i], shown[i], strings.SplitAfterN(stdout, "\n", i+2)[i])
		}
	}
}

// A torn line in the middle and a last line a killed process never ended
// are named on stderr; every whole record around them is still printed,
// in order, in every format.
func TestTimelineStreamsPastATornLineAndNamesIt(t *testing.T) {
	t.Parallel()
	w := newActingWorld(t, false)
	path := journal.Path(filepath.Join(w.dir, "state"), "staging")
	shown, err := journalgen.Write(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	appendJournal(t, path, "{\"time\":\"2026-03-01T10:00:00Z\",\"kind\n"+
		`{"time":"2026-03-01T10:00:01Z","kind":"progress","step":"S4","message":"#5000 after the tear"}`+"\n"+
		`{"time":"2026-03-01T10:00:02Z","kind":"prog`)
	want := append(shown, 5000)
	code, stdout, stderr := runCockpit(t, "timeline", "--config", w.config, "--env", "staging")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got := timelineSeqs(stdout); len(got) != len(want) || got[len(got)-1] != 5000 || got[len(got)-2] != shown[len(shown)-1] {
		t.Errorf("%d lines ending %v, want %d ending %v", len(got), got[max(len(got)-2, 0):], len(want), want[len(want)-2:])
	}
	if !strings.Contains(stderr, "corrupt journal line(s) 1001") || !strings.Contains(stderr, "last line unfinished") {
		t.Errorf("stderr %q: want the torn line 1001 and the unfinished last line named", stderr)
	}
	code, md, _ := runCockpit(t, "timeline", "--config", w.config, "--env", "staging", "-o", "markdown")
	if rows := strings.Count(md, "\n| 2026-"); code != exitOK || !strings.HasPrefix(md, "# Cutover timeline: staging\n") || rows != len(want) {
		t.Errorf("markdown: exit %d, %d rows, want %d under the heading:\n%.300s", code, rows, len(want), md)
	}
}

// BenchmarkTimeline is `cockpit timeline` over a 100k-record journal, in
// process, output discarded. Issue 16's budget (≤ 1 s, ≤ 50 MiB peak RSS)
// is for the whole process: scripts/genjournal and /usr/bin/time -v.
//
//	go test ./cmd/cockpit -run '^$' -bench '^BenchmarkTimeline$' -benchtime 5x
func BenchmarkTimeline(b *testing.B) {
	w := newActingWorld(b, false)
	if _, err := journalgen.Write(journal.Path(filepath.Join(w.dir, "state"), "staging"), 100_000); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := &Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
		if err := run(context.Background(), []string{"timeline", "--config", w.config, "--env", "staging"}, s); err != nil {
			b.Fatal(err)
		}
	}
}

// appendJournal appends raw text to a journal, as a torn or hand-edited
// write would leave it.
func appendJournal(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
