package dbroles

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Schema names and the sync tables come from the runbook; they are constants,
// and still travel as parameters so that no SQL text is ever assembled.
const (
	runtimeSchema = "runtime"
	controlSchema = "control"
)

var (
	// writePrivileges is the script's W: every table privilege that changes data or schema.
	writePrivileges = []string{"INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
	selectPrivilege = []string{"SELECT"}
	syncTables      = []string{"sync_stream_events", "sync_topic_sequences"}
)

// grantScope selects grants: one role, one schema, some privileges, and
// optionally only some tables (empty means all).
type grantScope struct {
	role       string
	schema     string
	privileges []string
	tables     []string
}

func (s grantScope) args() []any {
	tables := s.tables
	if tables == nil {
		tables = []string{}
	}
	return []any{s.role, s.schema, s.privileges, tables}
}

// grantView is what the catalog and information_schema say about one scope.
type grantView struct {
	// effective lists "PRIV on schema.table" the role can actually exercise:
	// direct grants, grants through role membership or PUBLIC, ownership,
	// and (for INSERT/UPDATE/REFERENCES) column-level grants. This is the truth
	// a verdict rests on.
	effective []string
	// direct counts distinct (table, privilege) grants to the role itself in
	// pg_class.relacl, the very rows the script's information_schema query is
	// meant to count.
	direct int
	// visible counts the same rows as information_schema.role_table_grants
	// shows the current login; visible < direct means the script is blind.
	visible int
}

// observation is everything the checks need, read in one read-only snapshot.
type observation struct {
	login                string
	presentRoles         []string
	runtimeExists        bool
	runtimeOwner         string
	controlExists        bool
	controlRuntimeWrites grantView
	khalaRuntimeWrites   grantView
	runtimeControlWrites grantView
	syncPresent          []string // sync tables in pg_class
	syncVisible          int      // sync tables information_schema.tables shows the login
	khalaSyncSelect      grantView
	publicRuntime        []string // "PRIV on …" held by PUBLIC in schema runtime
}

const (
	sqlLogin = `SELECT current_user::text`

	sqlRolesPresent = `SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1`

	sqlSchemaOwner = `SELECT pg_catalog.pg_get_userbyid(nspowner)::text FROM pg_catalog.pg_namespace WHERE nspname = $1`

	sqlSchemaExists = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`

	// sqlEffective asks has_table_privilege for every table and privilege in
	// scope. Relation OIDs are used, never names, so the login needs no USAGE
	// on the schema; a missing role joins to nothing and holds nothing.
	// SELECT is table-level (a partial column grant is not "can read the
	// table"); INSERT/UPDATE/REFERENCES on any column already lets a role write.
	sqlEffective = `
SELECT pg_catalog.format('%s on %I.%I', p.priv, n.nspname, c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_roles r ON r.rolname = $1
CROSS JOIN unnest($3::text[]) AS p(priv)
WHERE n.nspname = $2
  AND c.relkind IN ('r', 'v', 'f', 'p')
  AND (cardinality($4::text[]) = 0 OR c.relname = ANY($4::text[]))
  AND CASE WHEN p.priv IN ('INSERT', 'UPDATE', 'REFERENCES')
           THEN pg_catalog.has_any_column_privilege(r.oid, c.oid, p.priv)
           ELSE pg_catalog.has_table_privilege(r.oid, c.oid, p.priv) END
ORDER BY c.relname, p.priv`

	// sqlDirect counts what information_schema.table_privileges is built
	// from (same relkinds, same default ACL for a NULL relacl), so it can be
	// compared one to one with sqlVisible.
	sqlDirect = `
SELECT count(*) FROM (
  SELECT DISTINCT c.oid, a.privilege_type
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
  JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
  WHERE r.rolname = $1
    AND n.nspname = $2
    AND a.privilege_type = ANY($3::text[])
    AND c.relkind IN ('r', 'v', 'f', 'p')
    AND (cardinality($4::text[]) = 0 OR c.relname = ANY($4::text[]))
) g`

	// sqlVisible is the script's query, parameterised.
	sqlVisible = `
SELECT count(*) FROM (
  SELECT DISTINCT table_name, privilege_type
  FROM information_schema.role_table_grants
  WHERE grantee::text = $1
    AND table_schema::text = $2
    AND privilege_type::text = ANY($3::text[])
    AND (cardinality($4::text[]) = 0 OR table_name::text = ANY($4::text[]))
) g`

	sqlTablesPresent = `
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'v', 'f', 'p')
ORDER BY 1`

	sqlTablesVisible = `
SELECT count(*) FROM information_schema.tables
WHERE table_schema::text = $1 AND table_name::text = ANY($2::text[])`

	// sqlPublic lists PUBLIC's (grantee 0) privileges on the schema, on its
	// relations and on their columns. A NULL ACL is the default, which never
	// includes PUBLIC for schemas, tables or sequences.
	sqlPublic = `
SELECT pg_catalog.format('%s on schema %I', a.privilege_type, n.nspname)
FROM pg_catalog.pg_namespace n
CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
WHERE n.nspname = $1 AND a.grantee = 0
UNION ALL
SELECT pg_catalog.format('%s on %I.%I', a.privilege_type, n.nspname, c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
WHERE n.nspname = $1 AND a.grantee = 0
UNION ALL
SELECT pg_catalog.format('%s (%I) on %I.%I', a.privilege_type, att.attname, n.nspname, c.relname)
FROM pg_catalog.pg_attribute att
JOIN pg_catalog.pg_class c ON c.oid = att.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
WHERE n.nspname = $1 AND a.grantee = 0
ORDER BY 1`
)

// observe reads every fact in one READ ONLY, REPEATABLE READ transaction, so
// the checks describe one moment and cannot change anything.
func observe(ctx context.Context, conn *pgx.Conn, roles Roles) (observation, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return observation{}, fmt.Errorf("starting read-only transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	q := querier{ctx: ctx, tx: tx}
	var o observation
	o.login = q.one("reading current_user", sqlLogin)
	o.presentRoles = q.strings("reading pg_roles", sqlRolesPresent, roles.names())
	owners := q.strings("reading owner of schema runtime", sqlSchemaOwner, runtimeSchema)
	if len(owners) == 1 {
		o.runtimeExists, o.runtimeOwner = true, owners[0]
	}
	o.controlExists = q.exists("reading pg_namespace", sqlSchemaExists, controlSchema)
	o.controlRuntimeWrites = q.grants(grantScope{roles.ControlRW, runtimeSchema, writePrivileges, nil})
	o.khalaRuntimeWrites = q.grants(grantScope{roles.KhalaRO, runtimeSchema, writePrivileges, nil})
	if o.controlExists {
		o.runtimeControlWrites = q.grants(grantScope{roles.RuntimeRW, controlSchema, writePrivileges, nil})
	}
	o.syncPresent = q.strings("reading runtime sync tables", sqlTablesPresent, runtimeSchema, syncTables)
	o.syncVisible = q.count("reading information_schema.tables", sqlTablesVisible, runtimeSchema, syncTables)
	if len(o.syncPresent) > 0 {
		o.khalaSyncSelect = q.grants(grantScope{roles.KhalaRO, runtimeSchema, selectPrivilege, syncTables})
	}
	o.publicRuntime = q.strings("reading PUBLIC privileges on schema runtime", sqlPublic, runtimeSchema)
	return o, q.err
}

// querier runs queries until the first error and then does nothing, so
// observe reads as the list of facts it gathers.
type querier struct {
	ctx context.Context
	tx  pgx.Tx
	err error
}

func (q *querier) strings(what, sql string, args ...any) []string {
	if q.err != nil {
		return nil
	}
	rows, _ := q.tx.Query(q.ctx, sql, args...)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		q.err = fmt.Errorf("%s: %w", what, err)
	}
	return out
}

func (q *querier) one(what, sql string, args ...any) string {
	var s string
	q.scan(what, sql, args, &s)
	return s
}

func (q *querier) count(what, sql string, args ...any) int {
	var n int
	q.scan(what, sql, args, &n)
	return n
}

func (q *querier) exists(what, sql string, args ...any) bool {
	var b bool
	q.scan(what, sql, args, &b)
	return b
}

func (q *querier) scan(what, sql string, args []any, dst any) {
	if q.err != nil {
		return
	}
	if err := q.tx.QueryRow(q.ctx, sql, args...).Scan(dst); err != nil {
		q.err = fmt.Errorf("%s: %w", what, err)
	}
}

func (q *querier) grants(s grantScope) grantView {
	what := fmt.Sprintf("reading %s grants of %q on schema %s", s.privileges, s.role, s.schema)
	return grantView{
		effective: q.strings(what, sqlEffective, s.args()...),
		direct:    q.count(what, sqlDirect, s.args()...),
		visible:   q.count(what, sqlVisible, s.args()...),
	}
}
