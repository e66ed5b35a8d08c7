package runbook

import (
	"context"
	"sync"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/checks/dbroles"
)

// dbCacheFor is how long a DB role isolation result is reused. The check is
// slow (a connection and several catalog queries) and grants change only
// when someone deploys, so watching does not reconnect every second.
const dbCacheFor = 30 * time.Second

// dbTimeout bounds one DB check: connecting to a remote database is slower
// than a Prometheus query, so it gets more than the query timeout.
const dbTimeout = 10 * time.Second

// dbCheck runs P4 at most once per dbCacheFor; concurrent rounds share one
// run, and a round that finds one in flight reuses the previous result.
type dbCheck struct {
	url   string
	from  string // where the URL was looked for, e.g. DB_URL
	roles dbroles.Roles
	now   func() time.Time
	check func(ctx context.Context, url string, roles dbroles.Roles, now func() time.Time) []checks.Result

	mu       sync.Mutex
	last     []checks.Result
	lastAt   time.Time
	inFlight bool
}

// cached is the last result without running the check: what an action's
// own observations use, so a silent database never slows a rollback's
// post-verification (P4 gates nothing there).
func (d *dbCheck) cached() []checks.Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil {
		return d.last
	}
	return []checks.Result{{ID: "db.configured", Title: "DB role isolation", Verdict: checks.Unknown, ObservedAt: d.now(),
		Evidence: checks.Evidence{Source: "database", Reason: "not checked during an action"}}}
}

func (d *dbCheck) results(ctx context.Context) []checks.Result {
	if d.url == "" {
		return []checks.Result{{ID: "db.configured", Title: "DB role isolation", Verdict: checks.Unknown, ObservedAt: d.now(),
			Evidence: checks.Evidence{Source: "database", Reason: "no database configured (set " + d.from + ")"}}}
	}
	d.mu.Lock()
	fresh := !d.lastAt.IsZero() && d.now().Sub(d.lastAt) < dbCacheFor
	if fresh || (d.inFlight && d.last != nil) {
		last := d.last
		d.mu.Unlock()
		return last
	}
	d.inFlight = true
	d.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	rs := d.check(cctx, d.url, d.roles, d.now)

	d.mu.Lock()
	defer d.mu.Unlock()
	d.inFlight = false
	// A round cancelled by its caller says nothing about the database: do
	// not keep its UNKNOWNs for the next 30 seconds. A database that timed
	// out on its own is an answer, and is kept.
	switch {
	case ctx.Err() == nil:
		d.last, d.lastAt = rs, d.now()
	case d.last == nil:
		d.last = rs
	}
	return rs
}
