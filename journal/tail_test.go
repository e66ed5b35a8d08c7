package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func appendRaw(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func line(step string) string {
	return fmt.Sprintf(`{"time":"2026-03-01T10:00:00Z","kind":"progress","step":%q}`+"\n", step)
}

func steps(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Step)
	}
	return out
}

func TestTailReadsOnlyWhatIsNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	tl := NewTail(path)
	if recs, restart, err := tl.Next(); recs != nil || restart || err != nil {
		t.Fatalf("a missing journal: %v %v %v", recs, restart, err)
	}
	appendRaw(t, path, line("a")+line("b"))
	recs, _, err := tl.Next()
	if err != nil || fmt.Sprint(steps(recs)) != "[a b]" {
		t.Fatalf("first read %v, %v", steps(recs), err)
	}
	if recs, _, err := tl.Next(); len(recs) != 0 || err != nil {
		t.Fatalf("nothing new read %v, %v", steps(recs), err)
	}
	appendRaw(t, path, line("c"))
	if recs, _, _ := tl.Next(); fmt.Sprint(steps(recs)) != "[c]" {
		t.Fatalf("then %v, want only c", steps(recs))
	}
}

func TestTailHoldsAnUnfinishedLineAndReportsATornOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	tl := NewTail(path)
	full := line("a")
	appendRaw(t, path, full[:20])
	if recs, _, err := tl.Next(); len(recs) != 0 || err != nil {
		t.Fatalf("half a line gave %v, %v", steps(recs), err)
	}
	if tl.Pending() != 20 {
		t.Fatalf("pending %d, want 20", tl.Pending())
	}
	appendRaw(t, path, full[20:])
	if recs, _, err := tl.Next(); fmt.Sprint(steps(recs)) != "[a]" || err != nil {
		t.Fatalf("the finished line gave %v, %v", steps(recs), err)
	}

	// A process killed mid-line: the next Open ends the torn line, which
	// is then reported by number and skipped; what follows is read.
	appendRaw(t, path, `{"time":"2026-03-01T10:00:00Z","kind":"prog`)
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Kind: KindProgress, Step: "b"}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	recs, restart, err := tl.Next()
	var corrupt *CorruptError
	if !errors.As(err, &corrupt) || fmt.Sprint(corrupt.Lines) != "[2]" {
		t.Fatalf("err %v, want line 2 reported", err)
	}
	if restart || fmt.Sprint(steps(recs)) != "[b]" {
		t.Fatalf("after the torn line: %v (restart %t), want b", steps(recs), restart)
	}
	if recs, _, err := tl.Next(); len(recs) != 0 || err != nil {
		t.Fatalf("the torn line was reported twice: %v, %v", steps(recs), err)
	}
}

func TestTailStartsOverWhenTheFileShrinksOrIsReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl")
	tl := NewTail(path)
	appendRaw(t, path, line("a")+line("b"))
	_, _, _ = tl.Next()

	if err := os.WriteFile(path, []byte(line("x")), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, restart, _ := tl.Next()
	if !restart || fmt.Sprint(steps(recs)) != "[x]" {
		t.Fatalf("after truncation: %v restart %t", steps(recs), restart)
	}

	// Replaced by a longer file (a restore): a new inode, read from the top.
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte(line("p")+line("q")+line("r")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	recs, restart, _ = tl.Next()
	if !restart || fmt.Sprint(steps(recs)) != "[p q r]" {
		t.Fatalf("after replacement: %v restart %t", steps(recs), restart)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if recs, restart, err := tl.Next(); !restart || len(recs) != 0 || err != nil {
		t.Fatalf("after removal: %v restart %t err %v", steps(recs), restart, err)
	}
}

func TestTailSkipsAnOverlongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	big := make([]byte, maxLine+10)
	for i := range big {
		big[i] = 'x'
	}
	appendRaw(t, path, string(big)+"\n"+line("after"))
	tl := NewTail(path)
	recs, _, err := tl.Next()
	var corrupt *CorruptError
	if !errors.As(err, &corrupt) || fmt.Sprint(steps(recs)) != "[after]" {
		t.Fatalf("%v, %v", steps(recs), err)
	}
}

// BenchmarkJournalTick is what one screen tick costs the journal reader,
// with 0, 1k and 100k records already read: one record appended, then read.
// The cost must not grow with the journal (docs/design.md §9).
func BenchmarkJournalTick(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(n.name, func(b *testing.B) {
			path := benchJournal(b, n.count)
			tl := NewTail(path)
			if _, _, err := tl.Next(); err != nil {
				b.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			rec := []byte(`{"time":"2026-03-01T10:00:00Z","kind":"verdict","env":"staging","check":"V2","verdict":"PASS","evidence":"POST /internal/v1/comms/delivery-events → 410 write_path_frozen"}` + "\n")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := f.Write(rec); err != nil {
					b.Fatal(err)
				}
				recs, _, err := tl.Next()
				if err != nil || len(recs) != 1 {
					b.Fatalf("read %d records, %v", len(recs), err)
				}
			}
		})
	}
}

// BenchmarkJournalReadAll is the whole-file read every tick used to do,
// for comparison.
func BenchmarkJournalReadAll(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(n.name, func(b *testing.B) {
			path := benchJournal(b, n.count)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := Read(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchSizes are the journal lengths the budget spans (0 → 100k records,
// docs/design.md §9), with 1k between.
var benchSizes = []struct {
	name  string
	count int
}{{"0", 0}, {"1k", 1000}, {"100k", 100_000}}

func benchJournal(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "journal.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(f, `{"time":%q,"kind":"verdict","env":"staging","check":"I%d","verdict":"PASS","evidence":"sum(rate(run_googleapis_com:request_count[5m])) → 0.001 < 0.01 → PASS"}`+"\n",
			at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%3+1)
	}
	return path
}

// Each hands records over one at a time; an error from the reader stops
// the read at that record, and the next call goes on after it, never
// handing a record twice or skipping one.
func TestTailEachStopsWhereTheReaderStopsAndGoesOnFromThere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	appendRaw(t, path, line("a")+line("b")+"torn\n"+line("c"))
	tl := NewTail(path)
	stop := errors.New("enough")
	var got []string
	_, err := tl.Each(func(r Record) error {
		got = append(got, r.Step)
		if r.Step == "a" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || fmt.Sprint(got) != "[a]" {
		t.Fatalf("stopped read: %v, err %v; want [a] and the reader's error", got, err)
	}
	_, err = tl.Each(func(r Record) error { got = append(got, r.Step); return nil })
	var corrupt *CorruptError
	if !errors.As(err, &corrupt) || fmt.Sprint(corrupt.Lines) != "[3]" {
		t.Errorf("err %v, want line 3 named as corrupt", err)
	}
	if fmt.Sprint(got) != "[a b c]" {
		t.Errorf("records %v, want [a b c]: each once, in order", got)
	}
}
