package recording

import (
	"fmt"
	"time"
)

// timeLayouts are what ParseTime reads, all UTC unless the text says a zone.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads a --from or --to value: a time as RFC 3339, a UTC date
// and time ("2026-12-07 13:42[:10]"), a time of day ("13:42[:10]", UTC,
// on now's UTC day) or an age before now ("90m", "2h"). The times the
// report and the replay show are UTC, so what an operator copies from
// them reads back as the same instant.
func ParseTime(s string, now time.Time) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			y, m, d := now.UTC().Date()
			return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give 2026-12-07T13:42:10Z, \"2026-12-07 13:42\" (UTC), 13:42:10 (today, UTC) or an age such as 2h", s)
}
