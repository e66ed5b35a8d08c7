package journal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hostile retitles the window, clears the screen and overwrites the line.
const hostile = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"

// TestReadCleansEveryStringField writes a line by hand (an edited journal,
// or an older version's) with the hostile string in every string field,
// found by reflection so a field added later is covered too: none reaches
// the reader raw, and multi-line fields keep their lines.
func TestReadCleansEveryStringField(t *testing.T) {
	rec := Record{Time: time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)}
	v := reflect.ValueOf(&rec).Elem()
	var names []string
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.String:
			f.SetString(hostile + "\nsecond line")
			names = append(names, v.Type().Field(i).Name)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{hostile, "--flag"}))
			names = append(names, v.Type().Field(i).Name)
		}
	}
	line, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.WriteFile(path, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := Read(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Read = %d records, %v", len(recs), err)
	}
	got := reflect.ValueOf(recs[0])
	for _, name := range names {
		f := got.FieldByName(name)
		var texts []string
		if f.Kind() == reflect.String {
			texts = []string{f.String()}
		} else {
			texts = f.Interface().([]string)
		}
		for _, s := range texts {
			if strings.ContainsAny(s, "\x1b\x07\r") {
				t.Errorf("%s read back raw: %q", name, s)
			}
		}
	}
	if recs[0].Message != "…\nP1 PASS\nsecond line" {
		t.Errorf("Message keeps its lines, cleaned: %q", recs[0].Message)
	}
	if recs[0].Step != "…⏎P1 PASS⏎second line" {
		t.Errorf("Step is one line: %q", recs[0].Step)
	}
	if strings.Join(recs[0].Argv, " ") != "…⏎P1 PASS --flag" {
		t.Errorf("Argv = %q", recs[0].Argv)
	}
}
