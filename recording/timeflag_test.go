package recording

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-07T13:42:10Z":      time.Date(2026, 12, 7, 13, 42, 10, 0, time.UTC),
		"2026-12-07T14:42:10+01:00": time.Date(2026, 12, 7, 13, 42, 10, 0, time.UTC),
		"2026-12-07 13:42":          time.Date(2026, 12, 7, 13, 42, 0, 0, time.UTC),
		"13:42:10":                  time.Date(2026, 12, 7, 13, 42, 10, 0, time.UTC),
		"2h":                        time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC),
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-2h", "25:00", ""} {
		if _, err := ParseTime(bad, now); err == nil || !strings.Contains(err.Error(), "is not a time") {
			t.Errorf("ParseTime(%q): %v, want a refusal with the forms", bad, err)
		}
	}
}
