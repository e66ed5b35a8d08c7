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
		return fmt.Errorf("%q is not a duration (try \"5m\" or \"30s\")", s)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration the way it is read.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String renders the duration like "5m0s".
func (d Duration) String() string { return time.Duration(d).String() }
