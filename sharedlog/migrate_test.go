package sharedlog

import (
	"testing"
)

func TestMigrateTwiceIsIdempotent(t *testing.T) {
	dbURL, pool := migrated(t)
	if err := Migrate(t.Context(), dbURL); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	var applied int
	if err := pool.QueryRow(t.Context(),
		`SELECT count(*) FROM cockpit_goose_version WHERE version_id > 0 AND is_applied`).Scan(&applied); err != nil {
		t.Fatalf("reading %s: %v", versionTable, err)
	}
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(entries) {
		t.Fatalf("%s holds %d applied migrations, want %d (each applied once)", versionTable, applied, len(entries))
	}
	var appTable, journalTable, observationTable *string
	if err := pool.QueryRow(t.Context(),
		`SELECT to_regclass('goose_db_version')::text, to_regclass('cockpit_journal')::text, to_regclass('cockpit_observation')::text`).
		Scan(&appTable, &journalTable, &observationTable); err != nil {
		t.Fatal(err)
	}
	if appTable != nil {
		t.Errorf("Migrate created goose_db_version, an application's goose table")
	}
	if journalTable == nil || observationTable == nil {
		t.Errorf("tables after Migrate: cockpit_journal %v, cockpit_observation %v", journalTable, observationTable)
	}
}
