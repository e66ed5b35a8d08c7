package age

import (
	"testing"
	"time"
)

// TestFormat: each range keeps its two most telling units, zero-padded,
// and a negative age says never rather than a minus sign.
func TestFormat(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "never"},
		{0, "0s"},
		{59*time.Second + 900*time.Millisecond, "59s"},
		{65 * time.Second, "1m05s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{3*time.Hour + 7*time.Minute + 30*time.Second, "3h07m"},
	} {
		if got := Format(c.d); got != c.want {
			t.Errorf("Format(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}
