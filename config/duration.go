package config

import (
	"fmt"
	"strings"
	"time"
)

// UnmarshalYAML parses "90s", "5m", "1h30m". A bare number is refused: "5"
// could mean seconds or minutes, and a cutover tool must not guess.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	if s == "" || s == "null" || s == "~" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &durationError{value: s, msg: fmt.Sprintf("%q is not a duration (try \"5m\" or \"30s\")", s)}
	}
	if v < 0 {
		return &durationError{value: s, msg: fmt.Sprintf("%q is negative", s)}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration the way it is read.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String renders the duration like "5m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// durationError keeps the offending text so Load can find its line: the
// YAML decoder does not pass positions to custom unmarshalers.
type durationError struct{ value, msg string }

func (e *durationError) Error() string { return e.msg }

// lineOf finds the first "key: value" line whose value is e.value.
func (e *durationError) lineOf(src []byte) (line int, key string) {
	for i, l := range strings.Split(string(src), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if strings.Trim(v, `"'`) == e.value {
			return i + 1, strings.TrimSpace(strings.TrimLeft(k, " -{"))
		}
	}
	return 0, ""
}
