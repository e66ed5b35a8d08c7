package testsvc

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPostgresAndRolePrefixCleanUp runs a subtest that makes a database and
// prefixed roles owning objects in it, then checks that both are gone once
// the subtest's cleanups have run, so parallel runs never pile up state.
func TestPostgresAndRolePrefixCleanUp(t *testing.T) {
	t.Parallel()
	var dbName, prefix string
	t.Run("user", func(t *testing.T) {
		dbURL := Postgres(t)
		prefix = UniqueRolePrefix(t)
		conn, err := pgx.Connect(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&dbName); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(dbName, "cockpit_") {
			t.Errorf("database %q is not named cockpit_<random>", dbName)
		}
		owner, reader := pgx.Identifier{prefix + "owner"}.Sanitize(), pgx.Identifier{prefix + "reader"}.Sanitize()
		for _, stmt := range []string{
			"CREATE ROLE " + owner, "CREATE ROLE " + reader,
			"CREATE SCHEMA s AUTHORIZATION " + owner,
			"CREATE TABLE s.t (x int)", "ALTER TABLE s.t OWNER TO " + owner,
			"GRANT USAGE ON SCHEMA s TO " + reader, "GRANT SELECT ON s.t TO " + reader,
			"GRANT CONNECT ON DATABASE " + pgx.Identifier{dbName}.Sanitize() + " TO " + reader,
		} {
			if _, err := conn.Exec(t.Context(), stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	})
	if dbName == "" {
		t.Fatal("the subtest made no database")
	}

	ctx := t.Context()
	conn, err := pgx.Connect(ctx, os.Getenv("COCKPIT_TEST_DB_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var dbs, roles int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", dbName).Scan(&dbs); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)", prefix).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if dbs != 0 || roles != 0 {
		t.Errorf("after cleanup: %d databases named %s, %d roles with prefix %s; want none", dbs, dbName, roles, prefix)
	}
}

func TestUniqueRolePrefixDiffersEachCall(t *testing.T) {
	t.Parallel()
	a, b := UniqueRolePrefix(t), UniqueRolePrefix(t)
	if a == b {
		t.Errorf("two prefixes are both %q", a)
	}
	if len(a)+len("runtime_owner") > 63 {
		t.Errorf("prefix %q leaves too little of postgres's 63-byte identifier limit", a)
	}
}
