package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
)

// schemasOf lists the database's own schemas, to show a refused run made none.
func schemasOf(t *testing.T, dbURL string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(t.Context(), `SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDBFixturesRefusesADatabaseItDidNotMarkWithExit4 is a mistyped
// --db-url at the command line: exit 4, the reason on stderr, no change.
func TestDBFixturesRefusesADatabaseItDidNotMarkWithExit4(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	p := testsvc.UniqueRolePrefix(t)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA billing"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(context.Background())
	before := schemasOf(t, dbURL)
	roleFlags := []string{"--owner-role", p + "owner", "--runtime-rw-role", p + "rw", "--khala-ro-role", p + "khala", "--control-rw-role", p + "control"}

	for _, variant := range []string{"good", "missing-role"} {
		out, errOut, code := runCLI(t, false, append([]string{"rehearse", "ctl", "db-fixtures", "--db-url", dbURL, "--variant", variant}, roleFlags...)...)
		if code != exitUsage || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "schema billing") || out != "" {
			t.Errorf("db-fixtures --variant %s on a database with a schema of its own: exit %d, stdout %q, stderr %q; want 4 naming it", variant, code, out, errOut)
		}
	}
	if after := schemasOf(t, dbURL); after != before {
		t.Errorf("schemas after a refused run: %s, want %s", after, before)
	}

	// The default role names are refused as production names? No: they are
	// rehearsal names; production ones need a marked database.
	_, errOut, code := runCLI(t, false, "rehearse", "ctl", "db-fixtures", "--db-url", testsvc.Postgres(t), "--variant", "good",
		"--owner-role", "oa_runtime_owner", "--runtime-rw-role", p+"rw", "--khala-ro-role", p+"khala", "--control-rw-role", p+"control")
	if code != exitUsage || !strings.Contains(errOut, "production role name") {
		t.Errorf("db-fixtures with oa_runtime_owner on an unmarked database: exit %d, stderr %q; want 4", code, errOut)
	}

	empty := testsvc.Postgres(t)
	out, errOut, code := runCLI(t, false, append([]string{"rehearse", "ctl", "db-fixtures", "--db-url", empty, "--variant", "good"}, roleFlags...)...)
	if code != 0 || !strings.Contains(out, "marked as a cockpit rehearsal database") {
		t.Fatalf("db-fixtures on an empty database: exit %d, stdout %q, stderr %q; want 0, marked", code, out, errOut)
	}
	out, errOut, code = runCLI(t, false, append([]string{"rehearse", "ctl", "db-fixtures", "--db-url", empty, "--variant", "broken"}, roleFlags...)...)
	if code != 0 || strings.Contains(out, "marked") {
		t.Errorf("db-fixtures again on the marked database: exit %d, stdout %q, stderr %q; want 0, not marked again", code, out, errOut)
	}
}
