package sharedlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A schema older or newer than this cockpit's is refused, each with the
// fix; the view the check reads is the one the migration made.
func TestCheckAccessRefusesAnotherSchemaVersion(t *testing.T) {
	_, pool := migrated(t)
	if err := CheckAccess(t.Context(), pool, Publish); err != nil {
		t.Fatalf("CheckAccess on a fresh migration: %v", err)
	}
	for _, tc := range []struct {
		have int64
		want string
	}{
		{WantVersion() - 1, "schema missing or too old: run `cockpit timeline migrate` as the owner"},
		{WantVersion() + 1, fmt.Sprintf("schema version %d is newer than this cockpit's %d: upgrade the cockpit", WantVersion()+1, WantVersion())},
	} {
		if _, err := pool.Exec(t.Context(), fmt.Sprintf("CREATE OR REPLACE VIEW cockpit_schema_version AS SELECT %d::bigint AS version", tc.have)); err != nil {
			t.Fatal(err)
		}
		var schema *SchemaError
		err := CheckAccess(t.Context(), pool, Follow)
		if !errors.As(err, &schema) || err.Error() != tc.want {
			t.Errorf("schema version %d: CheckAccess = %v, want %q", tc.have, err, tc.want)
		}
	}
}

func TestReasonNamesTheFixInAFewWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&PermissionError{Missing: []string{"INSERT on cockpit_journal"}}, "permission denied"},
		{fmt.Errorf("publishing: %w", &pgconn.PgError{Code: "42501"}), "permission denied"},
		{&SchemaError{Have: 0, Want: 10}, "schema missing or too old"},
		{&pgconn.PgError{Code: "42P01"}, "schema missing or too old"},
		{&SchemaError{Have: 11, Want: 10}, "schema newer than this cockpit"},
		{&pgconn.PgError{Code: "23514"}, "refused by the database"},
		{&pgconn.ConnectError{}, "database unavailable"},
		{fmt.Errorf("publishing: %w", context.DeadlineExceeded), "database unavailable"},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, "database unavailable"},
		{errors.New("reading the journal: permission denied"), "failed"},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
