package sharedlog

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openagents/cockpit/internal/testsvc"
)

// TestLeastPrivilegeRoles creates the three roles of GRANTS.md with
// exactly its grants: the owner migrates, the operator publishes and
// reads, the watcher reads and cannot write.
func TestLeastPrivilegeRoles(t *testing.T) {
	adminURL := testsvc.Postgres(t)
	prefix := testsvc.UniqueRolePrefix(t)
	owner, operator, watcher := prefix+"owner", prefix+"operator", prefix+"watcher"
	admin := connect(t, adminURL)
	dbName := pgx.Identifier{admin.Config().Database}.Sanitize()
	for _, r := range []string{owner, operator, watcher} {
		exec(t, admin, "CREATE ROLE "+pgx.Identifier{r}.Sanitize()+" LOGIN PASSWORD 'secret'")
	}
	o, op, w := pgx.Identifier{owner}.Sanitize(), pgx.Identifier{operator}.Sanitize(), pgx.Identifier{watcher}.Sanitize()
	exec(t, admin, "GRANT CONNECT ON DATABASE "+dbName+" TO "+o+", "+op+", "+w)
	exec(t, admin, "GRANT USAGE, CREATE ON SCHEMA public TO "+o)
	exec(t, admin, "GRANT USAGE ON SCHEMA public TO "+op+", "+w)

	ownerURL := as(t, adminURL, owner)
	operatorURL, watcherURL := as(t, adminURL, operator), as(t, adminURL, watcher)
	operatorPool, watcherPool := newPool(t, operatorURL), newPool(t, watcherURL)
	// Before the owner migrates: the others see no schema and cannot make one.
	var schema *SchemaError
	if err := CheckAccess(t.Context(), operatorPool, Publish); !errors.As(err, &schema) || schema.Have != 0 {
		t.Errorf("operator's CheckAccess before the migration: %v, want schema missing", err)
	}
	if err := Migrate(t.Context(), operatorURL); !permissionDenied(err) {
		t.Errorf("operator migrating: %v, want permission denied", err)
	}
	if err := Migrate(t.Context(), ownerURL); err != nil {
		t.Fatalf("Migrate as the owner: %v", err)
	}
	asOwner := connect(t, ownerURL)
	exec(t, asOwner, "GRANT SELECT, INSERT ON cockpit_journal TO "+op)
	exec(t, asOwner, "GRANT SELECT, INSERT, UPDATE ON cockpit_observation TO "+op)
	exec(t, asOwner, "GRANT SELECT ON cockpit_journal, cockpit_observation TO "+w)

	// With exactly the documented grants each role passes its own check,
	// and the watcher is told it may not publish.
	if err := CheckAccess(t.Context(), operatorPool, Publish); err != nil {
		t.Errorf("operator's CheckAccess(Publish): %v", err)
	}
	if err := CheckAccess(t.Context(), watcherPool, Follow); err != nil {
		t.Errorf("watcher's CheckAccess(Follow): %v", err)
	}
	var perm *PermissionError
	if err := CheckAccess(t.Context(), watcherPool, Publish); !errors.As(err, &perm) ||
		strings.Join(perm.Missing, ", ") != "INSERT on cockpit_journal, INSERT on cockpit_observation, UPDATE on cockpit_observation" {
		t.Errorf("watcher's CheckAccess(Publish): %v, want the three privileges it lacks", err)
	}

	j := machine(t, "production")
	appendMessages(t, j, "approved S1", "ran S1")
	p := newPublisher(t, operatorPool, j, "production")
	start(t, p)
	flush(t, p)
	wantMessages(t, sharedMessages(t, operatorURL, "production"), "approved S1", "ran S1")
	wantMessages(t, sharedMessages(t, watcherURL, "production"), "approved S1", "ran S1")
	at := time.Now().UTC().Truncate(time.Microsecond)
	publishState(t, operatorPool, "production", at, `{"write_mode":"rust"}`)
	publishState(t, operatorPool, "production", at.Add(time.Second), `{"write_mode":"legacy"}`)
	wantState(t, watcherPool, "production", at.Add(time.Second), `{"write_mode":"legacy"}`)

	if _, err := operatorPool.Exec(t.Context(), "DELETE FROM cockpit_journal"); !permissionDenied(err) {
		t.Errorf("operator DELETE on the timeline: %v, want permission denied", err)
	}
	w2 := machine(t, "production")
	appendMessages(t, w2, "a watcher acting")
	wp := newPublisher(t, watcherPool, w2, "production")
	start(t, wp)
	if err := flushErr(t, wp, 5*time.Second); !permissionDenied(err) {
		t.Errorf("watcher publishing: %v, want permission denied", err)
	}
	if err := PublishObservation(t.Context(), watcherPool, "production", time.Now(), []byte(`{}`), 0, feedAlice(t)); !permissionDenied(err) {
		t.Errorf("watcher publishing an observation: %v, want permission denied", err)
	}
	wantMessages(t, sharedMessages(t, adminURL, "production"), "approved S1", "ran S1")
}

// as is dbURL logged in as role.
func as(t *testing.T, dbURL, role string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "secret")
	return u.String()
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func permissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}
