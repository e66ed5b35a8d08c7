// Package skew judges times that come from another machine's clock: a feed
// row, a journal record, a Prometheus sample, a parity report. A time
// further in the future than the allowed skew is refused, never believed:
// one laptop whose clock runs ahead (or one forged row dated 2099) must not
// win "newest" for good, read as fresh, or outrank every real record.
package skew

import (
	"fmt"
	"time"
)

// Default is the skew allowed when the config sets none: NTP keeps real
// clocks well inside it, a forged or broken one is far outside.
const Default = 5 * time.Second

// FutureError says a time is further ahead of now than the allowed skew.
type FutureError struct {
	What    string // what carried the time: "feed row", "journal record", "sample"
	At, Now time.Time
}

func (e *FutureError) Error() string {
	return fmt.Sprintf("%s dated %s is %s in the future (clock skew?)", e.What,
		e.At.UTC().Format(time.RFC3339), e.At.Sub(e.Now).Round(time.Second))
}

// Check returns a *FutureError when at is more than allowed after now;
// allowed <= 0 means Default.
func Check(what string, at, now time.Time, allowed time.Duration) error {
	if allowed <= 0 {
		allowed = Default
	}
	if at.Sub(now) > allowed {
		return &FutureError{What: what, At: at, Now: now}
	}
	return nil
}
