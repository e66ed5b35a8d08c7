package sharedlog

import (
	"fmt"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
)

// Status is how far the shared timeline is behind the local journal, for a
// line such as "timeline: 3 records queued, not published: database
// unavailable (dial tcp 10.0.0.5:5432: connection refused)".
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
		return "timeline: " + queued
	}
	return "timeline: " + queued + ", " + s.Problem() + " (" + safetext.Clean(s.Err.Error()) + ")"
}

// Problem is why nothing is being published, in a few words ("not
// published: permission denied"), or "" while publishing works.
func (s Status) Problem() string {
	if s.Err == nil {
		return ""
	}
	return "not published: " + Reason(s.Err)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
