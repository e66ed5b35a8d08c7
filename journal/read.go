package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/openagents/cockpit/internal/safetext"
)

// CorruptError lists lines that are not whole records, typically the last
// line of a process killed mid-write. Read still returns every good record.
type CorruptError struct {
	Path  string
	Lines []int // 1-based
}

func (e *CorruptError) Error() string {
	nums := make([]string, len(e.Lines))
	for i, n := range e.Lines {
		nums[i] = strconv.Itoa(n)
	}
	return fmt.Sprintf("%s: skipped torn or corrupt journal line(s) %s", e.Path, strings.Join(nums, ", "))
}

// Read returns every record of the journal at path, in file order, every
// string cleaned for the screen. A missing file is an empty history. Lines
// that do not decode are skipped and reported with a *CorruptError
// alongside the records that did.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	defer func() { _ = f.Close() }()

	var (
		recs []Record
		bad  []int
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r, ok := Decode(line)
		if !ok {
			bad = append(bad, n)
			continue
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return recs, fmt.Errorf("reading journal: %w", err)
	}
	if len(bad) > 0 {
		return recs, &CorruptError{Path: path, Lines: bad}
	}
	return recs, nil
}

// Decode is one record's JSON (a journal line, a shared timeline row) as
// a record, cleaned; false when it is not a whole record (a torn write, a
// hand edit gone wrong). Every reader decodes through it, so none can show
// a record uncleaned.
func Decode(line []byte) (Record, bool) {
	var r Record
	if err := json.Unmarshal(line, &r); err != nil || r.Kind == "" {
		return Record{}, false
	}
	return clean(r), true
}

// clean makes a record read back screen-safe: a journal edited by hand, or
// written by a version that did not clean what it wrote, is outside text
// too. Message, Evidence and Reason keep their lines (an actuator's output,
// one gate per line); every other field is one line.
func clean(r Record) Record {
	for _, f := range []*string{&r.Kind, &r.Env, &r.Operator, &r.Host, &r.ConfigHash, &r.Step, &r.Check, &r.Verdict} {
		*f = safetext.Clean(*f)
	}
	for _, f := range []*string{&r.Evidence, &r.Message, &r.Reason} {
		*f = safetext.CleanLines(*f)
	}
	if r.Argv != nil {
		argv := make([]string, len(r.Argv))
		for i, a := range r.Argv {
			argv[i] = safetext.Clean(a)
		}
		r.Argv = argv
	}
	return r
}
