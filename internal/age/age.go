// Package age renders how old something is, one way for every output: the
// verdicts' reasons (checks), the lock's refusals (lock) and the screen. A
// leaf, so that the lock formats an age without importing the verdicts.
package age

import (
	"fmt"
	"time"
)

// Format renders an age compactly: "2s", "1m05s", "3h07m"; a negative age
// (nothing seen yet) is "never".
func Format(d time.Duration) string {
	switch {
	case d < 0:
		return "never"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
