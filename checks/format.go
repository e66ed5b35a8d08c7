package checks

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatValue renders a signal value the way operators read it: a ratio as
// "0.31%", a bool as true/false, counts without needless decimals.
func FormatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	switch unit {
	case "ratio":
		return formatNumber(v*100) + "%"
	case "percent":
		return formatNumber(v) + "%"
	case "bool":
		return strconv.FormatBool(v != 0)
	default:
		return formatNumber(v)
	}
}

// formatNumber keeps two decimals at most, and two significant digits for
// values so small that two decimals would show them as zero.
func formatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if (s == "0" || s == "-0") && v != 0 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return s
}

// ShortDuration renders 5m0s as "5m" and 1h0m0s as "1h": rules read better.
func ShortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
