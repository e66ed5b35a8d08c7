package dbfixtures

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks/dbroles"
)

// The marker a rehearsal database carries. Apply writes it on its first run
// into an empty database and refuses every database without it, so the
// ALTER … OWNER, REVOKE … FROM PUBLIC and DROP ROLE of a fixture can never
// land on a real system by a mistyped --db-url.
const (
	MarkerSchema  = "cockpit_rehearsal"
	MarkerTable   = MarkerSchema + ".marker"
	MarkerPurpose = "cockpit rehearsal fixtures"
	// RoleComment is COMMENT ON ROLE of every role Apply creates. Roles are
	// cluster-wide, so a role is touched only when it carries this comment:
	// a real role of the same name on the same server is never altered or
	// dropped, whichever database the fixture runs in.
	RoleComment = "cockpit rehearsal fixture role"
)

// advisoryLockKey serialises concurrent fixture runs on one database.
const advisoryLockKey = 0x636f636b70697402 // "cockpit" + 2

// DefaultRoles are the rehearsal's role names. None equals a production role
// name (dbroles.DefaultRoles), so a fixture run with the defaults cannot
// alter a real role.
func DefaultRoles() dbroles.Roles {
	return dbroles.Roles{
		Owner:     "rehearsal_runtime_owner",
		RuntimeRW: "rehearsal_runtime_rw",
		KhalaRO:   "rehearsal_khala_ro",
		ControlRW: "rehearsal_control_rw",
	}
}

// productionRoleNames are the names the real deployment uses.
func productionRoleNames() []string {
	p := dbroles.DefaultRoles()
	return []string{p.Owner, p.RuntimeRW, p.KhalaRO, p.ControlRW}
}

// RefusedError is a database the fixture will not touch. Nothing was changed.
type RefusedError struct {
	Database string
	Reason   string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to apply db fixtures to database %q: %s", e.Database, e.Reason)
}

// ErrRefused matches every *RefusedError with errors.Is.
var ErrRefused = errors.New("database refused")

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// guard decides, inside the fixture's transaction and before any write,
// whether this database may be touched: it must carry the marker, or be
// empty (then it is marked now, in the same transaction). Production role
// names need a marker that was already there, and every role that exists
// must be one a fixture created. It reports whether it marked the database.
func guard(ctx context.Context, tx pgx.Tx, db string, roles dbroles.Roles) (marked bool, err error) {
	refuse := func(format string, args ...any) error {
		return &RefusedError{Database: db, Reason: fmt.Sprintf(format, args...)}
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(advisoryLockKey)); err != nil {
		return false, fmt.Errorf("locking fixture runs: %w", err)
	}
	hasMarker, err := carriesMarker(ctx, tx)
	if err != nil {
		return false, err
	}
	names := []string{roles.Owner, roles.RuntimeRW, roles.KhalaRO, roles.ControlRW}
	if !hasMarker {
		for _, n := range names {
			if slices.Contains(productionRoleNames(), n) {
				return false, refuse("role %q is a production role name, allowed only in a database already marked as a rehearsal (run once with the default rehearsal_* roles to mark an empty database)", n)
			}
		}
		content, err := userContent(ctx, tx)
		if err != nil {
			return false, err
		}
		if len(content) > 0 {
			return false, refuse("it has no %s and is not empty (%s); db fixtures run only in a database they marked themselves: create an empty one (CREATE DATABASE …) and point --db-url at it",
				MarkerTable, strings.Join(content, ", "))
		}
	}
	for _, n := range names {
		exists, comment, err := roleComment(ctx, tx, n)
		if err != nil {
			return false, err
		}
		if exists && comment != RoleComment {
			return false, refuse("role %q already exists and was not created by db fixtures (its comment is not %q); choose other role names", n, RoleComment)
		}
	}
	if hasMarker {
		return false, nil
	}
	for _, stmt := range []string{
		"CREATE SCHEMA " + ident(MarkerSchema),
		`CREATE TABLE ` + MarkerTable + ` (
			purpose text PRIMARY KEY CHECK (purpose = '` + MarkerPurpose + `'),
			created_at timestamptz NOT NULL DEFAULT now(),
			created_by text NOT NULL DEFAULT current_user)`,
		`INSERT INTO ` + MarkerTable + ` (purpose) VALUES ('` + MarkerPurpose + `')`,
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return false, fmt.Errorf("marking the database as a rehearsal: %w", err)
		}
	}
	return true, nil
}

// carriesMarker is whether the marker table exists and holds the marker row.
func carriesMarker(ctx context.Context, tx pgx.Tx) (bool, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, MarkerTable).Scan(&exists); err != nil {
		return false, fmt.Errorf("looking for the rehearsal marker: %w", err)
	}
	if !exists {
		return false, nil
	}
	var rows int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+MarkerTable+` WHERE purpose = $1`, MarkerPurpose).Scan(&rows); err != nil {
		return false, fmt.Errorf("reading the rehearsal marker: %w", err)
	}
	return rows == 1, nil
}

// sqlUserContent lists what makes a database not empty: any schema besides
// public, information_schema and pg_*, and any relation, function or
// stand-alone type in public.
const sqlUserContent = `
SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace
 WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT 'relation public.' || c.relname FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'function public.' || p.proname FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'type public.' || t.typname FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typrelid = 0 AND t.typelem = 0
ORDER BY 1
LIMIT 6`

func userContent(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, _ := tx.Query(ctx, sqlUserContent)
	content, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("looking at the database's content: %w", err)
	}
	if len(content) > 5 {
		content = append(content[:5], "…")
	}
	return content, nil
}

func roleComment(ctx context.Context, tx pgx.Tx, name string) (exists bool, comment string, err error) {
	var c *string
	err = tx.QueryRow(ctx, `SELECT pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles WHERE rolname = $1`, name).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("looking up role %q: %w", name, err)
	}
	if c != nil {
		comment = *c
	}
	return true, comment, nil
}
