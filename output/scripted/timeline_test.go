package scripted

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
)

// journalOf writes recs to a journal file and returns a tail on it.
func journalOf(t *testing.T, recs ...journal.Record) *journal.Tail {
	t.Helper()
	path := journal.Path(t.TempDir(), "staging")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return journal.NewTail(path)
}

func rec(at time.Time, msg string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindProgress, Step: "S1", Message: msg}
}

func probe(at time.Time, verdict string) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindVerdict, Check: "probe.legacy_frozen", Verdict: verdict}
}

// timelineOf writes the timeline as text and returns its messages and
// verdicts, one a line.
func timelineOf(t *testing.T, tail *journal.Tail, shared []journal.Record) string {
	t.Helper()
	var b bytes.Buffer
	tw, _ := executor.NewTimelineWriter(&b, "staging", executor.TimelineJSON)
	if rerr, werr := Timeline(tw, tail, shared); rerr != nil || werr != nil {
		t.Fatalf("Timeline: %v, %v", rerr, werr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		for _, key := range []string{`"message":"`, `"verdict":"`} {
			if _, v, ok := strings.Cut(line, key); ok {
				got = append(got, strings.SplitN(v, `"`, 2)[0])
			}
		}
	}
	return strings.Join(got, " ")
}

// This machine's journal alone is written in its order, a probe's answer
// repeated unchanged left out; with shared records the two are merged in
// time order, the local records the database lacks included.
func TestTimelineStreamsOrMerges(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	local := []journal.Record{rec(t0, "a"), probe(t0.Add(time.Second), "FAIL"), probe(t0.Add(2*time.Second), "FAIL"),
		probe(t0.Add(3*time.Second), "PASS"), rec(t0.Add(5*time.Second), "c")}
	if got := timelineOf(t, journalOf(t, local...), nil); got != "a FAIL PASS c" {
		t.Errorf("this machine's journal: %q, want %q", got, "a FAIL PASS c")
	}
	shared := []journal.Record{rec(t0, "a"), rec(t0.Add(4*time.Second), "b (another machine)")}
	if got, want := timelineOf(t, journalOf(t, local...), shared), "a FAIL PASS b (another machine) c"; got != want {
		t.Errorf("merged with the shared timeline: %q, want %q", got, want)
	}
}

// A corrupt line is named and skipped, the rest still written; a failed
// write ends the timeline and is said apart from the read.
func TestTimelineReadAndWriteErrors(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	tail := journalOf(t, rec(t0, "a"))
	f, err := os.OpenFile(tail.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("{not json\n" + `{"time":"2026-12-07T14:00:09Z","kind":"progress","message":"z"}` + "\n")
	_ = f.Close()
	var b bytes.Buffer
	tw, _ := executor.NewTimelineWriter(&b, "staging", executor.TimelineText)
	rerr, werr := Timeline(tw, tail, nil)
	var corrupt *journal.CorruptError
	if !errors.As(rerr, &corrupt) || werr != nil || !strings.Contains(b.String(), " a\n") || !strings.Contains(b.String(), " z\n") {
		t.Errorf("a corrupt line: read %v, write %v:\n%s", rerr, werr, b.String())
	}

	full := errors.New("disk full")
	tw, _ = executor.NewTimelineWriter(failingWriter{full}, "staging", executor.TimelineText)
	if _, werr := Timeline(tw, journalOf(t, rec(t0, "a"), rec(t0, "b")), []journal.Record{rec(t0, "s")}); !errors.Is(werr, full) {
		t.Errorf("a failed write: %v, want %v", werr, full)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
