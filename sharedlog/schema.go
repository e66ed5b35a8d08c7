package sharedlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
)

// Access is what a cockpit does with the shared timeline, and so which
// grants its role needs (GRANTS.md).
type Access int

const (
	// Follow reads the timeline and the observation feed (watchers).
	Follow Access = iota
	// Publish also appends records and upserts observations (operators).
	Publish
)

// checkTimeout bounds one schema and grants check.
const checkTimeout = 3 * time.Second

// Postgres error codes the checks tell apart.
const (
	codeUndefinedTable   = "42P01"
	codePermissionDenied = "42501"
)

// grantsNeeded are the table privileges each access needs, in the order
// GRANTS.md lists them.
var grantsNeeded = map[Access][][2]string{
	Follow: {{"cockpit_journal", "SELECT"}, {"cockpit_observation", "SELECT"}},
	Publish: {{"cockpit_journal", "SELECT"}, {"cockpit_journal", "INSERT"},
		{"cockpit_observation", "SELECT"}, {"cockpit_observation", "INSERT"}, {"cockpit_observation", "UPDATE"}},
}

// SchemaError is a database whose schema is not the one this cockpit was
// built for: missing or older (the owner must migrate), or newer (this
// cockpit must be upgraded).
type SchemaError struct {
	// Have is the database's version (0: no schema); Want this cockpit's.
	Have, Want int64
}

func (e *SchemaError) Error() string {
	if e.Have > e.Want {
		return fmt.Sprintf("schema version %d is newer than this cockpit's %d: upgrade the cockpit", e.Have, e.Want)
	}
	return "schema missing or too old: run `cockpit timeline migrate` as the owner"
}

// PermissionError is a role that lacks grants its job needs.
type PermissionError struct {
	// Missing are the privileges lacking, e.g. "INSERT on cockpit_journal".
	Missing []string
}

func (e *PermissionError) Error() string {
	return "permission denied: this role lacks " + strings.Join(e.Missing, ", ") + " (the owner grants them: sharedlog/GRANTS.md)"
}

// WantVersion is the schema version this cockpit's migrations reach: the
// highest numbered file embedded.
func WantVersion() int64 {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic(fmt.Sprintf("embedded migrations unreadable: %v", err)) // the build embeds them
	}
	var want int64
	for _, e := range entries {
		if v, err := goose.NumericComponent(e.Name()); err == nil {
			want = max(want, v)
		}
	}
	return want
}

// rowQuerier is a pool, a connection or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SchemaVersion is the database's schema version as any role reads it
// (cockpit_schema_version), 0 when there is no schema yet.
func SchemaVersion(ctx context.Context, q rowQuerier) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var v int64
	err := q.QueryRow(ctx, `SELECT version FROM cockpit_schema_version`).Scan(&v)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == codeUndefinedTable:
		return 0, nil
	case errors.As(err, &pgErr) && pgErr.Code == codePermissionDenied:
		return 0, &PermissionError{Missing: []string{"SELECT on cockpit_schema_version"}}
	case err != nil:
		return 0, fmt.Errorf("reading the shared timeline's schema version: %w", err)
	}
	return v, nil
}

// CheckAccess verifies, with nothing but what the role is granted, that the
// schema is this cockpit's version and that the role holds every grant
// access needs: a *SchemaError or a *PermissionError says which is not so.
// It writes nothing, so a watcher may run it as well as an operator.
func CheckAccess(ctx context.Context, q rowQuerier, access Access) error {
	have, err := SchemaVersion(ctx, q)
	if err != nil {
		return err
	}
	if want := WantVersion(); have != want {
		return &SchemaError{Have: have, Want: want}
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var tables, privileges []string
	for _, g := range grantsNeeded[access] {
		tables, privileges = append(tables, g[0]), append(privileges, g[1])
	}
	var missing []string
	err = q.QueryRow(ctx, `SELECT coalesce(array_agg(g.priv || ' on ' || g.tbl ORDER BY g.n), '{}')
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS g(tbl, priv, n)
WHERE NOT has_table_privilege(g.tbl, g.priv)`, tables, privileges).Scan(&missing)
	if err != nil {
		return fmt.Errorf("checking the shared timeline's grants: %w", err)
	}
	if len(missing) > 0 {
		return &PermissionError{Missing: missing}
	}
	return nil
}

// Reason is why publishing or following failed, in a few words for a
// screen's header: "permission denied", "schema missing or too old",
// "schema newer than this cockpit", "refused by the database" (another
// error the server answered), "database unavailable" (no connection, or
// no answer in time) or "failed" (anything else: the log has it).
func Reason(err error) string {
	var pgErr *pgconn.PgError
	var schema *SchemaError
	var perm *PermissionError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &perm), errors.As(err, &pgErr) && pgErr.Code == codePermissionDenied:
		return "permission denied"
	case errors.As(err, &schema) && schema.Have > schema.Want:
		return "schema newer than this cockpit"
	case errors.As(err, &schema), errors.As(err, &pgErr) && pgErr.Code == codeUndefinedTable:
		return "schema missing or too old"
	case errors.As(err, &pgErr):
		return "refused by the database"
	case unavailable(err):
		return "database unavailable"
	}
	return "failed"
}

// unavailable is an error of reaching the database: a connection refused
// or lost, or no answer in time.
func unavailable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
