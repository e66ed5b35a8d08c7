package sharedlog

import (
	"fmt"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
)

// Status is how far the shared timeline is behind the local journal, for a
// screen line such as "shared timeline: 3 records queued, not published:
// dial tcp 10.0.0.5:5432: connection refused".
type Status struct {
	// Pending is how many journal records are not yet in the database.
	Pending int
	// Err is why the last attempt failed, nil once one succeeded.
	Err error
	// FailingSince is when attempts started failing (zero when Err is nil).
	FailingSince time.Time
}

// String is the status as one screen-safe line.
func (s Status) String() string {
	queued := "up to date"
	if s.Pending > 0 {
		queued = fmt.Sprintf("%d record%s queued", s.Pending, plural(s.Pending))
	}
	if s.Err == nil {
		return "shared timeline: " + queued
	}
	return "shared timeline: " + queued + ", not published: " + safetext.Clean(s.Err.Error())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
