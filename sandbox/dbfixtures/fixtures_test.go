package dbfixtures_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/checks/dbroles"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox/dbfixtures"
)

func TestParseVariantAcceptsEveryNameAndListsThemOnError(t *testing.T) {
	t.Parallel()
	for _, v := range dbfixtures.Variants() {
		got, err := dbfixtures.ParseVariant(" " + strings.ToUpper(string(v)) + " ")
		if err != nil || got != v {
			t.Errorf("ParseVariant(%q) = %q, %v; want %q", v, got, err, v)
		}
	}
	_, err := dbfixtures.ParseVariant("brokn")
	if err == nil {
		t.Fatal("ParseVariant(brokn) succeeded")
	}
	for _, v := range dbfixtures.Variants() {
		if !strings.Contains(err.Error(), string(v)) {
			t.Errorf("error %q does not list %q", err, v)
		}
	}
}

func TestApplyRefusesBadInputBeforeConnecting(t *testing.T) {
	t.Parallel()
	unreachable := "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	long := dbfixtures.DefaultRoles()
	long.KhalaRO = strings.Repeat("k", 64)
	for name, tc := range map[string]struct {
		roles   dbroles.Roles
		variant dbfixtures.Variant
		want    string
	}{
		"unknown variant": {dbfixtures.DefaultRoles(), "brokn", "valid: good, broken"},
		"empty role":      {dbroles.Roles{Owner: "o", RuntimeRW: "r", KhalaRO: "k"}, dbfixtures.Good, "role name is empty"},
		"too long role":   {long, dbfixtures.Good, "63-byte limit"},
	} {
		err := dbfixtures.Apply(t.Context(), unreachable, tc.roles, tc.variant)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Apply error = %v, want one containing %q", name, err, tc.want)
		}
	}
}

func newRoles(t *testing.T) dbroles.Roles {
	p := testsvc.UniqueRolePrefix(t)
	return dbroles.Roles{Owner: p + "owner", RuntimeRW: p + "rw", KhalaRO: p + "khala", ControlRW: p + "control"}
}

func verdictOf(t *testing.T, dbURL string, roles dbroles.Roles) (checks.Verdict, []string) {
	t.Helper()
	results := dbroles.Check(t.Context(), dbURL, roles, time.Now)
	var failed []string
	for _, r := range results {
		if r.Verdict != checks.Pass {
			failed = append(failed, r.ID+"="+r.Verdict.String())
		}
	}
	return dbroles.Verdict(results), failed
}

// TestApplyConverges switches one database through every variant and back:
// each application must leave exactly that variant's state, whatever came
// before, and applying one twice must change nothing.
func TestApplyConverges(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	roles := newRoles(t)
	for _, v := range dbfixtures.Variants() {
		for range 2 {
			if err := dbfixtures.Apply(t.Context(), dbURL, roles, v); err != nil {
				t.Fatalf("Apply(%s): %v", v, err)
			}
		}
		want := checks.Fail
		if v == dbfixtures.Good {
			want = checks.Pass
		}
		if got, failed := verdictOf(t, dbURL, roles); got != want || (v != dbfixtures.Broken && len(failed) > 1) {
			t.Errorf("after %s twice: verdict %s (not passing: %v), want %s with at most one check failing", v, got, failed, want)
		}
		if err := dbfixtures.Apply(t.Context(), dbURL, roles, dbfixtures.Good); err != nil {
			t.Fatalf("Apply(good) after %s: %v", v, err)
		}
		if got, failed := verdictOf(t, dbURL, roles); got != checks.Pass {
			t.Errorf("good after %s did not repair: %v", v, failed)
		}
	}
}

func TestApplyCreatesNoLoginRolesAndKeepsData(t *testing.T) {
	t.Parallel()
	dbURL := testsvc.Postgres(t)
	roles := newRoles(t)
	ctx := t.Context()
	if err := dbfixtures.Apply(ctx, dbURL, roles, dbfixtures.Good); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var logins int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE rolname = ANY($1) AND rolcanlogin`,
		[]string{roles.Owner, roles.RuntimeRW, roles.KhalaRO, roles.ControlRW}).Scan(&logins); err != nil {
		t.Fatal(err)
	}
	if logins != 0 {
		t.Errorf("%d fixture roles can log in, want none", logins)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO control.settings VALUES ('cohort', '5')`); err != nil {
		t.Fatal(err)
	}
	if err := dbfixtures.Apply(ctx, dbURL, roles, dbfixtures.Broken); err != nil {
		t.Fatal(err)
	}
	var value string
	if err := conn.QueryRow(ctx, `SELECT value::text FROM control.settings WHERE key = 'cohort'`).Scan(&value); err != nil || value != "5" {
		t.Errorf("control.settings row after re-apply = %q, %v; want it kept", value, err)
	}
}
