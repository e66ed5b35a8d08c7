package harness

import "time"

// formatRFC3339 renders t as chrono's DateTime<Utc>::to_rfc3339 does in the
// real harness: UTC, "+00:00" rather than "Z", and the fraction shown only as
// 0, 3, 6 or 9 digits, whichever is the shortest exact one.
func formatRFC3339(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	layout := "2006-01-02T15:04:05"
	switch {
	case ns == 0:
	case ns%1_000_000 == 0:
		layout += ".000"
	case ns%1_000 == 0:
		layout += ".000000"
	default:
		layout += ".000000000"
	}
	return t.Format(layout) + "+00:00"
}
