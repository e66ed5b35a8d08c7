package dbroles

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks"
)

// Check runs every DB role isolation check against dbURL and reports all of
// them, in the script's order, then db.public_no_runtime_privileges and
// db.grant_visibility. The connect timeout is the deadline of ctx. It only
// reads, inside a READ ONLY transaction. When it cannot connect or a query
// fails, every result is UNKNOWN with the reason: no evidence is not a pass.
func Check(ctx context.Context, dbURL string, roles Roles, now func() time.Time) []checks.Result {
	defs := definitions(roles)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return unknownAll(defs, fmt.Errorf("connecting to postgres: %w", err), now())
	}
	defer func() { _ = conn.Close(ctx) }()
	o, err := observe(ctx, conn, roles)
	if err != nil {
		return unknownAll(defs, fmt.Errorf("querying postgres: %w", err), now())
	}
	return evaluate(defs, roles, o, now())
}

// Verdict is the gate's verdict over the results: the worst of them.
func Verdict(results []checks.Result) checks.Verdict {
	vs := make([]checks.Verdict, len(results))
	for i, r := range results {
		vs[i] = r.Verdict
	}
	return checks.Worst(vs...)
}
