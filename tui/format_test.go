package tui

import (
	"testing"
	"time"
)

// An age is whole seconds up to a minute, then whole minutes: the screen
// redraws it no more often than what it says changes.
func TestAgeTextChangesOnlyAsItsMeaningDoes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-1: "never", 0: "0s", 59*time.Second + 900*time.Millisecond: "59s", time.Minute: "1m",
		time.Minute + 59*time.Second: "1m", 59*time.Minute + 59*time.Second: "59m", time.Hour + 5*time.Minute + 30*time.Second: "1h05m",
	} {
		if got := ageText(d); got != want {
			t.Errorf("ageText(%v) = %q, want %q", d, got, want)
		}
	}
}
