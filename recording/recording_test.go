package recording

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every round comes back as it was recorded, across segments, in order;
// From and To select rounds by time.
func TestRoundsComeBackAsRecorded(t *testing.T) {
	dir := t.TempDir()
	record(t, Options{Dir: dir, Env: "staging", Process: "watch", Version: "v1.2.3", SegmentEvery: 25 * time.Second}, 60)
	segs, notes, err := List(dir)
	if err != nil || len(notes) > 0 {
		t.Fatalf("listing: %v %v", err, notes)
	}
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3 (a new one every 25 rounds)", len(segs))
	}
	rounds, notes := readAll(t, dir, Query{})
	if len(notes) > 0 || len(rounds) != 60 {
		t.Fatalf("read %d rounds, notes %v; want 60 and none", len(rounds), notes)
	}
	for i, r := range rounds {
		sameRound(t, r, round(i))
		if r.Header.Process != "watch" || r.Header.Version != "v1.2.3" || r.Header.Env != "staging" {
			t.Fatalf("header %+v", r.Header)
		}
	}
	st, err := rounds[45].State()
	if err != nil || st.Incidents[0].Value != 0.09 || st.Items[0].Item == nil {
		t.Fatalf("round 45 decodes to %+v, %v", st.Incidents, err)
	}

	rounds, _ = readAll(t, dir, Query{From: t0.Add(28 * time.Second), To: t0.Add(31 * time.Second)})
	if len(rounds) != 4 || !rounds[0].At.Equal(t0.Add(28*time.Second)) {
		t.Fatalf("rounds 28–31: got %d starting %v", len(rounds), rounds)
	}
	for i, r := range rounds {
		sameRound(t, r, round(28+i))
	}
}

// Two processes recording at once (operate and watch) read back merged
// in time, each with its own header; a session is read alone when asked.
func TestTwoProcessesRecordSideBySide(t *testing.T) {
	dir := t.TempDir()
	record(t, Options{Dir: dir, Process: "operate"}, 10)
	b, err := Start(Options{Dir: dir, Process: "watch"})
	if err != nil {
		t.Fatal(err)
	}
	b.session = "other-session" // as another process would name it
	for i := 5; i < 15; i++ {
		b.Record(round(i))
		waitQueued(t, b)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	rounds, _ := readAll(t, dir, Query{})
	if len(rounds) != 20 {
		t.Fatalf("%d rounds, want 20", len(rounds))
	}
	for i := 1; i < len(rounds); i++ {
		if rounds[i].At.Before(rounds[i-1].At) {
			t.Fatalf("round %d at %v before round %d at %v", i, rounds[i].At, i-1, rounds[i-1].At)
		}
	}
	only, _ := readAll(t, dir, Query{Session: "other-session"})
	if len(only) != 10 || only[0].Header.Process != "watch" {
		t.Fatalf("one session: %d rounds", len(only))
	}
}

// Past MaxBytes the oldest segments are deleted; what stays still reads,
// from its first round on.
func TestTheOldestSegmentsAreDroppedPastTheBound(t *testing.T) {
	dir := t.TempDir()
	const maxBytes = 8 * minSegmentBytes
	record(t, Options{Dir: dir, Process: "watch", MaxBytes: maxBytes, SegmentEvery: 10 * time.Second}, 700)
	files, err := listFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	if total > maxBytes+minSegmentBytes {
		t.Fatalf("the recording holds %d bytes in %d segments, over its bound %d", total, len(files), maxBytes)
	}
	rounds, notes := readAll(t, dir, Query{})
	if len(notes) > 0 || len(rounds) == 0 || len(rounds) >= 700 {
		t.Fatalf("%d rounds (notes %v): the oldest were not dropped, or nothing stayed", len(rounds), notes)
	}
	first := int(rounds[0].At.Sub(t0) / time.Second)
	if first%10 != 0 || len(rounds) != 700-first {
		t.Fatalf("kept rounds %d… (%d): not whole segments up to the newest", first, len(rounds))
	}
	sameRound(t, rounds[0], round(first))
}

// A process killed mid-write leaves a segment without its end: every
// whole round before the tear still reads, and the read says so.
func TestATornSegmentKeepsItsRoundsBeforeTheTear(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(Options{Dir: dir, Process: "operate"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	var sizes [41]int64
	for i := range 40 {
		r.Record(round(i))
		waitFor(t, func() bool { return segmentFrames(t, dir) == i+1 })
		sizes[i+1] = dirBytes(t, dir)
	}
	// The process dies while writing round 39: its file holds the stream
	// as flushed so far, never closed, the last round's bytes cut in half.
	files, err := listFiles(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("segments %v, %v", files, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, files[0].name))
	if err != nil {
		t.Fatal(err)
	}
	torn := t.TempDir()
	cut := sizes[39] + (sizes[40]-sizes[39])/2
	if err := os.WriteFile(filepath.Join(torn, files[0].name), b[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	rounds, notes := readAll(t, torn, Query{})
	if len(rounds) != 39 {
		t.Fatalf("%d rounds read from the torn segment, want the 39 before the tear", len(rounds))
	}
	sameRound(t, rounds[38], round(38))
	if len(notes) != 1 || !strings.Contains(notes[0], "after 39 round(s) without its end mark") {
		t.Fatalf("notes %q, want the torn tail named", notes)
	}
}

// A segment of an older recording format is refused with what to do; the
// recording's other segments still read.
func TestASegmentOfAnOlderVersionIsRefusedByName(t *testing.T) {
	dir := t.TempDir()
	record(t, Options{Dir: dir, Process: "watch"}, 5)
	old := filepath.Join(dir, segmentName(t0.Add(-time.Hour), "watch", 7, 1))
	writeSegment(t, old, `{"format":"cockpit-recording/v0","version":"v0.9.0","session":"s"}`, `{"at":"2026-12-07T12:42:00Z","full":true,"parts":{"":"v{}"}}`)
	foreign := filepath.Join(dir, segmentName(t0.Add(-2*time.Hour), "watch", 8, 1))
	if err := os.WriteFile(foreign, []byte("a file that is no gzip stream at all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rounds, notes := readAll(t, dir, Query{})
	if len(rounds) != 5 {
		t.Fatalf("%d rounds, want the 5 of this version", len(rounds))
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{
		"recorded in format cockpit-recording/v0 by cockpit v0.9.0; this cockpit reads cockpit-recording/v1: read it with that version of cockpit: skipped",
		filepath.Base(foreign) + ": not a cockpit recording segment",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes do not say %q:\n%s", want, joined)
		}
	}
}

// A round whose state is of another wire format (recorded by a cockpit
// whose feed format moved on) is refused when decoded, by name.
func TestARoundOfAnotherStateFormatIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, segmentName(t0, "watch", 7, 1))
	writeSegment(t, path, `{"format":"cockpit-recording/v1","version":"v0.9.0","session":"s"}`,
		`{"at":"2026-12-07T13:42:00Z","full":true,"parts":{"":"oformat\u0000state","/format":"v\"cockpit-state-json/v1\"","/state":"v{}"}}`)
	rounds, notes := readAll(t, dir, Query{})
	if len(rounds) != 1 || len(notes) > 0 {
		t.Fatalf("%d rounds, notes %v", len(rounds), notes)
	}
	_, err := rounds[0].State()
	if err == nil || !strings.Contains(err.Error(), `format "cockpit-state-json/v1"`) || !strings.Contains(err.Error(), "13:42:00") {
		t.Fatalf("decoding a v1 state: %v", err)
	}
}

func writeSegment(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	for _, l := range lines {
		if _, err := gz.Write([]byte(l + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// segmentFrames counts the frames readable in dir's segments so far.
func segmentFrames(t *testing.T, dir string) int {
	t.Helper()
	rounds, _ := readAll(t, dir, Query{})
	return len(rounds)
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := listFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		n += f.size
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A scripted check's rounds, however many processes append them at once,
// go to one file a day and read back whole, each with its own header.
func TestOneShotRoundsShareADaysSegment(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, Env: "staging", Process: "check", Version: "v1"}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if err := RecordOnce(o, round(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	files, err := listFiles(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("segments %v (%v), want one for the day", files, err)
	}
	rounds, notes := readAll(t, dir, Query{})
	if len(rounds) != 12 || len(notes) > 0 {
		t.Fatalf("%d rounds, notes %v; want 12", len(rounds), notes)
	}
	seen := map[int]bool{}
	for _, r := range rounds { // concurrent appends land in any order
		i := int(r.At.Sub(t0) / time.Second)
		sameRound(t, r, round(i))
		if r.Header.Process != "check" || seen[i] {
			t.Fatalf("round %d twice, or header %+v", i, r.Header)
		}
		seen[i] = true
	}
}
