package dbfixtures_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks/dbroles"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox/dbfixtures"
)

// catalog is what a refused run must leave exactly as it was: the roles it
// names and the production ones, with their attributes and comments (roles
// are cluster-wide and parallel tests create others), every schema with its
// owner and ACL, and every relation's owner and ACL (the marker's too).
func catalog(t *testing.T, dbURL string, roles dbroles.Roles) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(t.Context(), `
SELECT 'role ' || rolname || ' login=' || rolcanlogin || ' super=' || rolsuper || ' comment=' ||
       coalesce(shobj_description(oid, 'pg_authid'), '')
  FROM pg_roles WHERE rolname = ANY($1)
UNION ALL
SELECT 'schema ' || nspname || ' owner=' || pg_get_userbyid(nspowner) || ' acl=' || coalesce(nspacl::text, '')
  FROM pg_namespace
UNION ALL
SELECT 'relation ' || c.oid::regclass::text || ' owner=' || pg_get_userbyid(relowner) || ' acl=' || coalesce(relacl::text, '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
ORDER BY 1`, roleNames(roles))
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func roleNames(r dbroles.Roles) []string {
	p := dbroles.DefaultRoles()
	return []string{r.Owner, r.RuntimeRW, r.KhalaRO, r.ControlRW, p.Owner, p.RuntimeRW, p.KhalaRO, p.ControlRW}
}

func execAll(t *testing.T, dbURL string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func marked(t *testing.T, dbURL string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(*) FROM `+dbfixtures.MarkerTable+` WHERE purpose = $1`, dbfixtures.MarkerPurpose).Scan(&n)
	return err == nil && n == 1
}

// wantRefusedUnchanged applies every variant (MissingRole drops a role,
// WrongSchemaOwner alters an owner) and wants each refused, naming want,
// with the catalog exactly as before.
func wantRefusedUnchanged(t *testing.T, dbURL string, roles dbroles.Roles, want string) {
	t.Helper()
	before := catalog(t, dbURL, roles)
	for _, v := range dbfixtures.Variants() {
		err := dbfixtures.Apply(t.Context(), dbURL, roles, v)
		if !errors.Is(err, dbfixtures.ErrRefused) || !strings.Contains(err.Error(), want) {
			t.Errorf("Apply(%s) = %v, want a refusal naming %q", v, err, want)
		}
	}
	if after := catalog(t, dbURL, roles); !slices.Equal(before, after) {
		t.Errorf("a refused run changed the catalog:\nbefore: %q\nafter:  %q", before, after)
	}
}

// TestApplyRefusesAnUnmarkedDatabaseWithContent is the mistyped --db-url:
// a database that holds anything of its own, even with role names no one
// uses, is refused, and nothing in it (or in the cluster's roles) changes.
func TestApplyRefusesAnUnmarkedDatabaseWithContent(t *testing.T) {
	t.Parallel()
	for name, content := range map[string][]string{
		"a schema of its own":          {"CREATE SCHEMA app", "CREATE TABLE app.orders (id int)", "GRANT SELECT ON app.orders TO PUBLIC"},
		"a table in public":            {"CREATE TABLE public.users (id int)"},
		"a function in public":         {"CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"},
		"runtime schema but no marker": {"CREATE SCHEMA runtime", "CREATE TABLE runtime.runs (id uuid)"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dbURL := testsvc.Postgres(t)
			execAll(t, dbURL, content...)
			wantRefusedUnchanged(t, dbURL, newRoles(t), "is not empty")
		})
	}
}

// TestApplyMarksAnEmptyDatabaseThenRerunsOnIt is the rehearsal's own flow:
// a fresh, empty database is marked by the first run, and every later run
// (any variant) is accepted on it.
func TestApplyMarksAnEmptyDatabaseThenRerunsOnIt(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	roles := newRoles(t)
	out, err := dbfixtures.ApplyOutcome(t.Context(), dbURL, roles, dbfixtures.Good)
	if err != nil {
		t.Fatalf("first run on an empty database: %v", err)
	}
	if !out.Marked || !marked(t, dbURL) || out.Database == "" {
		t.Fatalf("first run: outcome %+v, marker present %v; want the database marked", out, marked(t, dbURL))
	}
	for _, v := range []dbfixtures.Variant{dbfixtures.Broken, dbfixtures.MissingRole, dbfixtures.Good} {
		out, err := dbfixtures.ApplyOutcome(t.Context(), dbURL, roles, v)
		if err != nil || out.Marked {
			t.Errorf("re-run %s on the marked database: outcome %+v, %v; want applied, not marked again", v, out, err)
		}
	}
	if got, failed := verdictOf(t, dbURL, roles); got.String() != "PASS" {
		t.Errorf("after re-runs ending on good: %s %v", got, failed)
	}
}

// TestApplyRefusesProductionRoleNamesWithoutMarker: even an empty database
// is not marked by a run that names a production role, and no production
// role is created.
func TestApplyRefusesProductionRoleNamesWithoutMarker(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	prod := dbroles.DefaultRoles()
	mixed := newRoles(t)
	mixed.ControlRW = prod.ControlRW
	wantRefusedUnchanged(t, dbURL, prod, "production role name")
	wantRefusedUnchanged(t, dbURL, mixed, `"`+prod.ControlRW+`" is a production role name`)
}

// TestApplyNeverTouchesARoleItDidNotCreate: roles are cluster-wide, so even
// in a marked database a role of the same name that a fixture did not
// create (a real one on a shared server) is refused, in every variant.
func TestApplyNeverTouchesARoleItDidNotCreate(t *testing.T) {
	t.Parallel()
	for name, marked := range map[string]bool{"empty database": false, "marked database": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dbURL := testsvc.Postgres(t)
			roles := newRoles(t)
			if marked {
				other := newRoles(t)
				if err := dbfixtures.Apply(t.Context(), dbURL, other, dbfixtures.Good); err != nil {
					t.Fatal(err)
				}
			}
			execAll(t, dbURL, "CREATE ROLE "+pgx.Identifier{roles.ControlRW}.Sanitize()+" LOGIN")
			wantRefusedUnchanged(t, dbURL, roles, "was not created by db fixtures")
		})
	}
}

func TestDefaultRolesAreNoProductionRole(t *testing.T) {
	t.Parallel()
	d, p := dbfixtures.DefaultRoles(), dbroles.DefaultRoles()
	prod := []string{p.Owner, p.RuntimeRW, p.KhalaRO, p.ControlRW}
	for _, n := range []string{d.Owner, d.RuntimeRW, d.KhalaRO, d.ControlRW} {
		if slices.Contains(prod, n) || !strings.HasPrefix(n, "rehearsal_") {
			t.Errorf("default fixture role %q: want a rehearsal_ name, never a production one (%v)", n, prod)
		}
	}
}
