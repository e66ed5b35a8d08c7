package dbroles_test

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/checks/dbroles"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox/dbfixtures"
)

var allIDs = []string{
	dbroles.IDRolesExist, dbroles.IDSchemaOwner, dbroles.IDControlNoRuntimeWrites,
	dbroles.IDKhalaNoRuntimeWrites, dbroles.IDRuntimeNoControlWrites, dbroles.IDKhalaReadsSync,
	dbroles.IDPublicNoRuntimePrivs, dbroles.IDGrantVisibility,
}

func fixedNow() time.Time { return time.Date(2026, 3, 1, 14, 3, 22, 0, time.UTC) }

// fixture is one test's database and its uniquely named roles.
type fixture struct {
	url   string
	roles dbroles.Roles
}

func newFixture(t *testing.T, v dbfixtures.Variant) fixture {
	t.Helper()
	f := fixture{url: testsvc.Postgres(t)}
	p := testsvc.UniqueRolePrefix(t)
	f.roles = dbroles.Roles{Owner: p + "owner", RuntimeRW: p + "runtime_rw", KhalaRO: p + "khala_ro", ControlRW: p + "control_rw"}
	if err := dbfixtures.Apply(t.Context(), f.url, f.roles, v); err != nil {
		t.Fatal(err)
	}
	return f
}

// exec runs admin statements on the fixture database.
func (f fixture) exec(t *testing.T, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), f.url)
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

// loginURL is the fixture database reached as another login.
func (f fixture) loginURL(t *testing.T, user, password string) string {
	t.Helper()
	u, err := url.Parse(f.url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

func check(t *testing.T, dbURL string, roles dbroles.Roles) map[string]checks.Result {
	t.Helper()
	results := dbroles.Check(t.Context(), dbURL, roles, fixedNow)
	var ids []string
	byID := map[string]checks.Result{}
	for _, r := range results {
		ids = append(ids, r.ID)
		byID[r.ID] = r
		if !r.ObservedAt.Equal(fixedNow()) {
			t.Errorf("%s observed at %v, want the injected clock", r.ID, r.ObservedAt)
		}
	}
	if !slices.Equal(ids, allIDs) {
		t.Fatalf("result IDs = %v, want %v", ids, allIDs)
	}
	return byID
}

func wantVerdict(t *testing.T, byID map[string]checks.Result, id string, want checks.Verdict, valueContains ...string) {
	t.Helper()
	r := byID[id]
	if r.Verdict != want {
		t.Errorf("%s = %s, want %s; evidence: %s", id, r.Verdict, want, r.Evidence)
	}
	for _, s := range valueContains {
		if !strings.Contains(r.Evidence.Value, s) {
			t.Errorf("%s value %q does not contain %q", id, r.Evidence.Value, s)
		}
	}
}

func TestGoodPassesEveryCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbfixtures.Good)
	byID := check(t, f.url, f.roles)
	for _, id := range allIDs {
		wantVerdict(t, byID, id, checks.Pass)
	}
	wantVerdict(t, byID, dbroles.IDRolesExist, checks.Pass, "expected=4, actual=4")
	wantVerdict(t, byID, dbroles.IDSchemaOwner, checks.Pass, "expected="+f.roles.Owner+", actual="+f.roles.Owner)
	wantVerdict(t, byID, dbroles.IDKhalaReadsSync, checks.Pass, "actual=2, max=2")
	wantVerdict(t, byID, dbroles.IDGrantVisibility, checks.Pass, "login=cockpit_test, expected=4, actual=4")
	results := dbroles.Check(t.Context(), f.url, f.roles, fixedNow)
	if got := dbroles.Verdict(results); got != checks.Pass {
		t.Errorf("Verdict = %s, want PASS", got)
	}
}

func TestEachViolationFailsExactlyItsCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		variant dbfixtures.Variant
		id      string
		value   func(dbroles.Roles) string
	}{
		{dbfixtures.MissingRole, dbroles.IDRolesExist, func(r dbroles.Roles) string {
			return "expected=4, actual=3 (missing: " + r.ControlRW + ")"
		}},
		{dbfixtures.WrongSchemaOwner, dbroles.IDSchemaOwner, func(r dbroles.Roles) string {
			return "expected=" + r.Owner + ", actual=" + r.RuntimeRW
		}},
		{dbfixtures.ControlWritesRuntime, dbroles.IDControlNoRuntimeWrites, func(dbroles.Roles) string {
			return "expected=0, actual=2 (INSERT on runtime.runs, UPDATE on runtime.runs)"
		}},
		{dbfixtures.KhalaWritesRuntime, dbroles.IDKhalaNoRuntimeWrites, func(dbroles.Roles) string {
			return "expected=0, actual=1 (INSERT on runtime.sync_stream_events)"
		}},
		{dbfixtures.RuntimeWritesControl, dbroles.IDRuntimeNoControlWrites, func(dbroles.Roles) string {
			return "expected=0, actual=3 (DELETE on control.settings, INSERT on control.settings, UPDATE on control.settings)"
		}},
		{dbfixtures.KhalaCannotReadSync, dbroles.IDKhalaReadsSync, func(dbroles.Roles) string {
			return "actual=2, max=1 (no SELECT on runtime.sync_topic_sequences)"
		}},
		{dbfixtures.PublicOnRuntime, dbroles.IDPublicNoRuntimePrivs, func(dbroles.Roles) string {
			return "expected=0, actual=2 (SELECT on runtime.runs, USAGE on schema runtime)"
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.variant), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.variant)
			byID := check(t, f.url, f.roles)
			for _, id := range allIDs {
				if id == tc.id {
					wantVerdict(t, byID, id, checks.Fail, tc.value(f.roles))
				} else {
					wantVerdict(t, byID, id, checks.Pass)
				}
			}
		})
	}
}

func TestBrokenFailsSeveralChecksAndTheGate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbfixtures.Broken)
	results := dbroles.Check(t.Context(), f.url, f.roles, fixedNow)
	var failed []string
	for _, r := range results {
		if r.Verdict == checks.Fail {
			failed = append(failed, r.ID)
		}
	}
	want := []string{dbroles.IDControlNoRuntimeWrites, dbroles.IDKhalaReadsSync, dbroles.IDPublicNoRuntimePrivs}
	if !slices.Equal(failed, want) {
		t.Errorf("failed checks = %v, want %v (all reported, not only the first)", failed, want)
	}
	if got := dbroles.Verdict(results); got != checks.Fail {
		t.Errorf("Verdict = %s, want FAIL", got)
	}
}

// TestUnderPrivilegedLoginNeverPasses connects as a login with no
// memberships: information_schema hides every fixture grant from it, which
// makes the script pass falsely.
func TestUnderPrivilegedLoginNeverPasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		variant dbfixtures.Variant
		want    map[string]checks.Verdict
	}{
		{dbfixtures.Good, map[string]checks.Verdict{dbroles.IDKhalaReadsSync: checks.Unknown, dbroles.IDGrantVisibility: checks.Unknown}},
		{dbfixtures.ControlWritesRuntime, map[string]checks.Verdict{dbroles.IDControlNoRuntimeWrites: checks.Fail, dbroles.IDKhalaReadsSync: checks.Unknown, dbroles.IDGrantVisibility: checks.Unknown}},
		{dbfixtures.KhalaCannotReadSync, map[string]checks.Verdict{dbroles.IDKhalaReadsSync: checks.Fail, dbroles.IDGrantVisibility: checks.Unknown}},
	} {
		t.Run(string(tc.variant), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.variant)
			login := f.roles.Owner[:strings.Index(f.roles.Owner, "_")+1] + "nobody"
			f.exec(t, "CREATE ROLE "+ident(login)+" LOGIN PASSWORD 'nobody-pw'")
			results := dbroles.Check(t.Context(), f.loginURL(t, login, "nobody-pw"), f.roles, fixedNow)
			for _, r := range results {
				want, ok := tc.want[r.ID]
				if !ok {
					want = checks.Pass
				}
				if r.Verdict != want {
					t.Errorf("%s = %s, want %s; evidence: %s", r.ID, r.Verdict, want, r.Evidence)
				}
			}
			if got := dbroles.Verdict(results); got == checks.Pass {
				t.Errorf("Verdict = PASS for a login that cannot see the grants")
			}
			vis := results[len(results)-1]
			for _, s := range []string{"login=" + login, "expected=", "actual=0", "hidden:", "runtime sync tables"} {
				if !strings.Contains(vis.Evidence.Value, s) {
					t.Errorf("grant_visibility value %q lacks %q", vis.Evidence.Value, s)
				}
			}
			if !strings.Contains(vis.Evidence.Reason, "connect as the schema owner or a superuser") {
				t.Errorf("grant_visibility reason %q does not give the fix", vis.Evidence.Reason)
			}
		})
	}
}

// TestSchemaOwnerLoginSeesEverything proves the fix db.grant_visibility gives.
func TestSchemaOwnerLoginSeesEverything(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbfixtures.Good)
	f.exec(t, "ALTER ROLE "+ident(f.roles.Owner)+" LOGIN PASSWORD 'owner-pw'")
	byID := check(t, f.loginURL(t, f.roles.Owner, "owner-pw"), f.roles)
	for _, id := range allIDs {
		wantVerdict(t, byID, id, checks.Pass)
	}
	wantVerdict(t, byID, dbroles.IDGrantVisibility, checks.Pass, "login="+f.roles.Owner+", expected=4, actual=4")
}

// TestInheritedWritesCount covers a grant the script cannot see at all: write
// access through role membership.
func TestInheritedWritesCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbfixtures.Good)
	f.exec(t, "GRANT "+ident(f.roles.RuntimeRW)+" TO "+ident(f.roles.ControlRW))
	byID := check(t, f.url, f.roles)
	wantVerdict(t, byID, dbroles.IDControlNoRuntimeWrites, checks.Fail, "expected=0, actual=9", "INSERT on runtime.runs")
	wantVerdict(t, byID, dbroles.IDGrantVisibility, checks.Pass)
}

func TestAbsentSchemasAreNotApplicableAndSaySo(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbfixtures.Good)
	f.exec(t, "DROP SCHEMA control CASCADE", "DROP TABLE runtime.sync_stream_events, runtime.sync_topic_sequences")
	byID := check(t, f.url, f.roles)
	for _, id := range allIDs {
		wantVerdict(t, byID, id, checks.Pass)
	}
	wantVerdict(t, byID, dbroles.IDRuntimeNoControlWrites, checks.Pass, "not applicable: schema control absent")
	wantVerdict(t, byID, dbroles.IDKhalaReadsSync, checks.Pass, "not applicable: runtime sync tables absent")
	if r := byID[dbroles.IDKhalaReadsSync].Evidence.Reason; !strings.Contains(r, "as the script") {
		t.Errorf("not-applicable reason %q does not say the script skips it too", r)
	}
}

func TestUnreachableDatabaseIsUnknownForEveryCheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dbURL := "postgres://cockpit:s3cret-pw@" + addr + "/runtime?sslmode=disable&connect_timeout=5"
	results := dbroles.Check(t.Context(), dbURL, dbroles.DefaultRoles(), fixedNow)
	if len(results) != len(allIDs) {
		t.Fatalf("got %d results, want %d", len(results), len(allIDs))
	}
	for i, r := range results {
		if r.ID != allIDs[i] || r.Verdict != checks.Unknown {
			t.Errorf("result %d = %s %s, want %s UNKNOWN", i, r.ID, r.Verdict, allIDs[i])
		}
		if !strings.Contains(r.Evidence.Reason, "connecting to postgres") || !strings.Contains(r.Evidence.Reason, addr) {
			t.Errorf("%s reason %q does not say it could not connect to %s", r.ID, r.Evidence.Reason, addr)
		}
		if strings.Contains(r.Evidence.String(), "s3cret-pw") {
			t.Errorf("%s evidence shows the password: %s", r.ID, r.Evidence)
		}
	}
	if got := dbroles.Verdict(results); got != checks.Unknown {
		t.Errorf("Verdict = %s, want UNKNOWN", got)
	}
}

// TestHostileRoleNamesCannotInjectSQL uses role names with quotes, spaces and
// statement terminators, both in the fixture and in the check.
func TestHostileRoleNamesCannotInjectSQL(t *testing.T) {
	t.Parallel()
	f := fixture{url: testsvc.Postgres(t)}
	p := testsvc.UniqueRolePrefix(t)
	f.roles = dbroles.Roles{
		Owner:     p + `o'wner`,
		RuntimeRW: p + `rw"; DROP TABLE runtime.runs; --`,
		KhalaRO:   p + `khala ro`,
		ControlRW: p + `c'); DROP SCHEMA control CASCADE; --`,
	}
	if err := dbfixtures.Apply(t.Context(), f.url, f.roles, dbfixtures.Good); err != nil {
		t.Fatal(err)
	}
	byID := check(t, f.url, f.roles)
	for _, id := range allIDs {
		wantVerdict(t, byID, id, checks.Pass)
	}
	f.exec(t, "SELECT count(*) FROM runtime.runs", "SELECT count(*) FROM control.settings")

	// A name built to make the script's IN (...) list match everything must not.
	sneaky := f.roles
	sneaky.KhalaRO = p + `x') OR ('1'='1`
	byID = check(t, f.url, sneaky)
	wantVerdict(t, byID, dbroles.IDRolesExist, checks.Fail, "expected=4, actual=3", `missing: "`+p+`x') OR ('1'='1"`)
}
