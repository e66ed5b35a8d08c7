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
	if v, err := SchemaVersion(t.Context(), pool); err != nil || v != WantVersion() || v < 10 {
		t.Fatalf("SchemaVersion after Migrate = %d, %v; want %d (this cockpit's highest migration)", v, err, WantVersion())
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

// A database migrated before the feed was signed (at version 10, without
// 00004) gets 00004 from the owner's next Migrate: the publisher's
// signature columns and the state kept as json.
func TestMigrateAppliesAMigrationAddedBelowTheNewest(t *testing.T) {
	dbURL, pool := migrated(t)
	for _, sql := range []string{
		`ALTER TABLE cockpit_observation DROP COLUMN signature, DROP COLUMN signing_key, DROP COLUMN operator,
			ALTER COLUMN state TYPE jsonb USING state::jsonb`,
		`DELETE FROM cockpit_goose_version WHERE version_id = 4`,
	} {
		if _, err := pool.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := Migrate(t.Context(), dbURL); err != nil {
		t.Fatalf("Migrate on a database at 10 without 00004: %v", err)
	}
	var stateType string
	var signed int
	if err := pool.QueryRow(t.Context(), `SELECT
		(SELECT data_type FROM information_schema.columns WHERE table_name = 'cockpit_observation' AND column_name = 'state'),
		(SELECT count(*) FROM information_schema.columns WHERE table_name = 'cockpit_observation'
			AND column_name IN ('operator', 'signing_key', 'signature'))`).Scan(&stateType, &signed); err != nil {
		t.Fatal(err)
	}
	if stateType != "json" || signed != 3 {
		t.Errorf("after Migrate: state is %s with %d of 3 signature columns, want json and 3", stateType, signed)
	}
}
