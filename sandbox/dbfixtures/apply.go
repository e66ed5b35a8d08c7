package dbfixtures

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks/dbroles"
)

// maxIdentifierBytes is PostgreSQL's NAMEDATALEN-1: a longer role name would
// be truncated silently and then never found under its full name.
const maxIdentifierBytes = 63

// Apply brings the database at dbURL to variant v: the four roles (created
// NOLOGIN when missing; existing roles keep their attributes), schema runtime
// with runs, sync_stream_events and sync_topic_sequences, schema control with
// settings, all owned by roles.Owner, the correct grants and nothing more,
// then v's violation. It converges rather than accumulates: every run first
// revokes what the fixture roles and PUBLIC hold on both schemas, so applying
// Good after Broken repairs the database, and applying anything twice is the
// same as once. Table data is never touched. It runs in one transaction, so a
// failure leaves the database as it was. The login must be a superuser or
// a member of every role. MissingRole drops roles.ControlRW, which postgres
// refuses while that role holds privileges in another database.
//
// It touches only a rehearsal database: one carrying the marker
// (MarkerTable), or an empty one, which it marks. Anything else, a
// production role name in a database not marked before, or a role of the
// same name that a fixture did not create is a *RefusedError, with nothing
// changed.
func Apply(ctx context.Context, dbURL string, roles dbroles.Roles, v Variant) error {
	_, err := ApplyOutcome(ctx, dbURL, roles, v)
	return err
}

// Outcome is what one Apply did besides converging.
type Outcome struct {
	Database string // current_database()
	Marked   bool   // this run marked the (empty) database as a rehearsal
}

// ApplyOutcome is Apply, also saying which database it changed and whether
// this run marked it.
func ApplyOutcome(ctx context.Context, dbURL string, roles dbroles.Roles, v Variant) (Outcome, error) {
	var out Outcome
	violation, err := violations(v, roles)
	if err != nil {
		return out, err
	}
	if err := validate(roles); err != nil {
		return out, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return out, fmt.Errorf("connecting to postgres: %w", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT current_database()`).Scan(&out.Database); err != nil {
			return fmt.Errorf("reading database name: %w", err)
		}
		marked, err := guard(ctx, tx, out.Database, roles)
		if err != nil {
			return err
		}
		out.Marked = marked
		if err := ensureRoles(ctx, tx, roles); err != nil {
			return err
		}
		for _, stmt := range append(baseline(roles), violation...) {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("executing %q: %w", stmt, err)
			}
		}
		return nil
	})
	if err != nil {
		out.Marked = false
		var refused *RefusedError
		if errors.As(err, &refused) {
			return out, err
		}
		return out, fmt.Errorf("applying db fixture %s: %w", v, err)
	}
	return out, nil
}

func validate(roles dbroles.Roles) error {
	for _, name := range []string{roles.Owner, roles.RuntimeRW, roles.KhalaRO, roles.ControlRW} {
		if name == "" {
			return fmt.Errorf("applying db fixture: a role name is empty: %+v", roles)
		}
		if len(name) > maxIdentifierBytes {
			return fmt.Errorf("applying db fixture: role name %q is longer than postgres's %d-byte limit", name, maxIdentifierBytes)
		}
	}
	return nil
}

// ensureRoles creates the roles that do not exist yet, each with RoleComment
// (guard has refused any existing role without it). Role names are looked up
// as parameters and created as quoted identifiers.
func ensureRoles(ctx context.Context, tx pgx.Tx, roles dbroles.Roles) error {
	for _, name := range []string{roles.Owner, roles.RuntimeRW, roles.KhalaRO, roles.ControlRW} {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
			return fmt.Errorf("looking up role %q: %w", name, err)
		}
		if exists {
			continue
		}
		if _, err := tx.Exec(ctx, "CREATE ROLE "+ident(name)+" NOLOGIN"); err != nil {
			return fmt.Errorf("creating role %q: %w", name, err)
		}
		if _, err := tx.Exec(ctx, "COMMENT ON ROLE "+ident(name)+" IS '"+RoleComment+"'"); err != nil {
			return fmt.Errorf("marking role %q as a fixture's: %w", name, err)
		}
	}
	return nil
}

// baseline is the Good state: ownership, then a clean slate of grants for the
// fixture roles and PUBLIC, then exactly the grants the runbook wants.
func baseline(r dbroles.Roles) []string {
	owner, rw, khala, control := ident(r.Owner), ident(r.RuntimeRW), ident(r.KhalaRO), ident(r.ControlRW)
	grantees := "PUBLIC, " + rw + ", " + khala + ", " + control
	return []string{
		"CREATE SCHEMA IF NOT EXISTS runtime AUTHORIZATION " + owner,
		"ALTER SCHEMA runtime OWNER TO " + owner,
		`CREATE TABLE IF NOT EXISTS runtime.runs (
			id uuid PRIMARY KEY,
			worker_id text,
			status text NOT NULL,
			metadata jsonb,
			created_at timestamptz NOT NULL DEFAULT now(),
			updated_at timestamptz NOT NULL DEFAULT now())`,
		`CREATE TABLE IF NOT EXISTS runtime.sync_stream_events (
			topic text NOT NULL,
			seq bigint NOT NULL,
			payload jsonb NOT NULL,
			recorded_at timestamptz NOT NULL DEFAULT now(),
			PRIMARY KEY (topic, seq))`,
		`CREATE TABLE IF NOT EXISTS runtime.sync_topic_sequences (
			topic text PRIMARY KEY,
			last_seq bigint NOT NULL DEFAULT 0)`,
		"ALTER TABLE runtime.runs OWNER TO " + owner,
		"ALTER TABLE runtime.sync_stream_events OWNER TO " + owner,
		"ALTER TABLE runtime.sync_topic_sequences OWNER TO " + owner,
		"CREATE SCHEMA IF NOT EXISTS control AUTHORIZATION " + owner,
		"ALTER SCHEMA control OWNER TO " + owner,
		`CREATE TABLE IF NOT EXISTS control.settings (
			key text PRIMARY KEY,
			value jsonb NOT NULL)`,
		"ALTER TABLE control.settings OWNER TO " + owner,
		"REVOKE ALL ON SCHEMA runtime, control FROM " + grantees,
		"REVOKE ALL ON ALL TABLES IN SCHEMA runtime, control FROM " + grantees,
		"GRANT USAGE ON SCHEMA runtime TO " + rw + ", " + khala,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA runtime TO " + rw,
		"GRANT SELECT ON runtime.sync_stream_events, runtime.sync_topic_sequences TO " + khala,
		"GRANT USAGE ON SCHEMA control TO " + control,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON control.settings TO " + control,
	}
}

// violations is what v adds to the baseline. Broken is the drift a database
// typically shows after hand-made hotfixes: the control plane was given
// writes on runtime, a sync table was recreated without Khala's grant, and
// PUBLIC kept the read access a migration tool granted.
func violations(v Variant, r dbroles.Roles) ([]string, error) {
	rw, khala, control := ident(r.RuntimeRW), ident(r.KhalaRO), ident(r.ControlRW)
	switch v {
	case Good:
		return nil, nil
	case MissingRole:
		return []string{"DROP OWNED BY " + control, "DROP ROLE " + control}, nil
	case WrongSchemaOwner:
		return []string{"ALTER SCHEMA runtime OWNER TO " + rw}, nil
	case ControlWritesRuntime:
		return []string{"GRANT INSERT, UPDATE ON runtime.runs TO " + control}, nil
	case KhalaWritesRuntime:
		return []string{"GRANT INSERT ON runtime.sync_stream_events TO " + khala}, nil
	case RuntimeWritesControl:
		return []string{"GRANT INSERT, UPDATE, DELETE ON control.settings TO " + rw}, nil
	case KhalaCannotReadSync:
		return []string{"REVOKE SELECT ON runtime.sync_topic_sequences FROM " + khala}, nil
	case PublicOnRuntime:
		return []string{"GRANT USAGE ON SCHEMA runtime TO PUBLIC", "GRANT SELECT ON runtime.runs TO PUBLIC"}, nil
	case Broken:
		var all []string
		for _, part := range []Variant{ControlWritesRuntime, KhalaCannotReadSync, PublicOnRuntime} {
			stmts, _ := violations(part, r)
			all = append(all, stmts...)
		}
		return all, nil
	default:
		_, err := ParseVariant(string(v))
		return nil, err
	}
}

// ident quotes a name as an SQL identifier, so no role name can inject SQL.
func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}
