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

// A reading within the scrape/refresh jitter shows a steady word instead of
// an age that flaps 0s/1s with the scrape's phase; older, its age in whole
// seconds, then minutes; stale, always its age, however short its
// stale_after; never observed, "never".
func TestReadingAgeIsLiveWithinTheJitter(t *testing.T) {
	c := &common{refresh: time.Second}
	cases := []struct {
		age   time.Duration
		stale bool
		want  string
	}{
		{0, false, liveWord},
		{1900 * time.Millisecond, false, liveWord},
		{2999 * time.Millisecond, false, liveWord},
		{3 * time.Second, false, "3s"},
		{59 * time.Second, false, "59s"},
		{61 * time.Second, false, "1m"},
		{time.Second, true, "1s"}, // a stale_after shorter than the jitter
		{-1, true, "never"},
		{-1, false, "never"},
	}
	for _, tc := range cases {
		if got := c.readingAge(tc.age, 0, tc.stale); got != tc.want {
			t.Errorf("readingAge(%v, stale %v) = %q, want %q", tc.age, tc.stale, got, tc.want)
		}
	}
	if got := (&common{refresh: 5 * time.Second}).readingAge(8*time.Second, 0, false); got != liveWord {
		t.Errorf("at a 5s refresh, 8s old data shows %q, want %q (two refreshes and a second)", got, liveWord)
	}
	// A source read every 5s (the projector endpoints) is live until 5s
	// past the jitter, then shows its age.
	if got := c.readingAge(7*time.Second, 5*time.Second, false); got != liveWord {
		t.Errorf("a 7s old reading of a source read every 5s shows %q, want %q", got, liveWord)
	}
	if got := c.readingAge(8*time.Second, 5*time.Second, false); got != "8s" {
		t.Errorf("an 8s old reading of a source read every 5s shows %q, want 8s", got)
	}
}
