package testsvc

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresCleanupTimeout bounds each cleanup so a wedged server fails the
// test instead of hanging it.
const postgresCleanupTimeout = 30 * time.Second

// Postgres returns the URL of a fresh, empty database named cockpit_<random>
// on the server COCKPIT_TEST_DB_URL points at (a superuser login; scripts/test.sh
// starts the server and sets it). The database is dropped WITH (FORCE) when
// the test ends, so parallel tests never share tables. Without the variable
// the test is skipped, except in CI, where a silent skip would hide the
// real-database tests.
func Postgres(t testing.TB) (dbURL string) {
	t.Helper()
	admin := adminURL(t)
	name := "cockpit_" + randomName(12)
	ctx, cancel := context.WithTimeout(t.Context(), postgresCleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatalf("connecting to COCKPIT_TEST_DB_URL: %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	return databaseURL(admin, name).String()
}

// UniqueRolePrefix returns a prefix (ct<random>_) for the roles a test
// creates: roles are cluster-wide, so parallel tests must not share names.
// When the test ends, every role with the prefix is dropped, after its
// objects are reassigned and its privileges dropped in every database that
// still refers to it.
func UniqueRolePrefix(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	prefix := "ct" + randomName(10) + "_"
	t.Cleanup(func() { dropRoles(t, admin, prefix) })
	return prefix
}

// adminURL is COCKPIT_TEST_DB_URL, or a skip (a failure in CI) without it.
func adminURL(t testing.TB) *url.URL {
	t.Helper()
	raw := os.Getenv("COCKPIT_TEST_DB_URL")
	if raw == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COCKPIT_TEST_DB_URL is not set; in CI the PostgreSQL tests must run (scripts/test.sh sets it)")
		}
		t.Skip("set COCKPIT_TEST_DB_URL (scripts/test.sh does)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("COCKPIT_TEST_DB_URL must be a postgres:// URL, got an unparsable or %q one", schemeOf(u))
	}
	return u
}

func schemeOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme
}

// databaseURL is admin pointed at another database on the same server.
func databaseURL(admin *url.URL, name string) *url.URL {
	u := *admin
	u.Path = "/" + name
	u.RawPath = ""
	return &u
}

func dropDatabase(t testing.TB, admin *url.URL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), postgresCleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Errorf("dropping test database %s: connecting: %v", name, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("dropping test database %s: %v", name, err)
	}
}

// sqlRoleDatabases lists the databases holding objects or privileges of the
// roles (pg_shdepend; dbid 0 is shared objects, handled from the admin
// database).
const sqlRoleDatabases = `
SELECT DISTINCT d.datname::text
FROM pg_catalog.pg_shdepend s
JOIN pg_catalog.pg_database d ON d.oid = s.dbid
WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass
  AND s.refobjid IN (SELECT oid FROM pg_catalog.pg_roles WHERE starts_with(rolname, $1))
  AND d.datname <> current_database()`

func dropRoles(t testing.TB, admin *url.URL, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), postgresCleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Errorf("dropping roles %s*: connecting: %v", prefix, err)
		return
	}
	defer func() { _ = conn.Close(ctx) }()
	rows, _ := conn.Query(ctx, `SELECT rolname::text FROM pg_catalog.pg_roles WHERE starts_with(rolname, $1)`, prefix)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("dropping roles %s*: listing: %v", prefix, err)
		return
	}
	if len(roles) == 0 {
		return
	}
	rows, _ = conn.Query(ctx, sqlRoleDatabases, prefix)
	databases, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("dropping roles %s*: listing their databases: %v", prefix, err)
		return
	}
	owned := ownedList(roles)
	for _, db := range databases {
		if err := disown(ctx, databaseURL(admin, db).String(), owned); err != nil {
			t.Errorf("dropping roles %s*: in database %s: %v", prefix, db, err)
		}
	}
	if err := disownOn(ctx, conn, owned); err != nil {
		t.Errorf("dropping roles %s*: %v", prefix, err)
	}
	for _, r := range roles {
		if _, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{r}.Sanitize()); err != nil {
			t.Errorf("dropping role %q: %v", r, err)
		}
	}
}

// ownedList renders roles as a list of quoted identifiers for OWNED BY.
func ownedList(roles []string) string {
	quoted := make([]string, len(roles))
	for i, r := range roles {
		quoted[i] = pgx.Identifier{r}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

func disown(ctx context.Context, dbURL, owned string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	return disownOn(ctx, conn, owned)
}

// disownOn hands the roles' objects to the admin and revokes their privileges
// in conn's database (and on shared objects), which DROP ROLE requires.
func disownOn(ctx context.Context, conn *pgx.Conn, owned string) error {
	if _, err := conn.Exec(ctx, "REASSIGN OWNED BY "+owned+" TO CURRENT_USER"); err != nil {
		return fmt.Errorf("reassigning owned objects: %w", err)
	}
	if _, err := conn.Exec(ctx, "DROP OWNED BY "+owned); err != nil {
		return fmt.Errorf("dropping owned privileges: %w", err)
	}
	return nil
}

// randomName is n lowercase base32 characters (5 random bits each), so it
// needs no quoting as an identifier.
func randomName(n int) string {
	return strings.ToLower(rand.Text()[:n])
}
