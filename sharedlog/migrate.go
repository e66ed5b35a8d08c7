package sharedlog

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is goose's bookkeeping table, named for the cockpit so it
// never collides with an application's own goose_db_version.
const versionTable = "cockpit_goose_version"

// migrateLockID is the advisory lock two cockpits migrating at once take
// in turn; goose's default id would be shared with an application's goose.
const migrateLockID int64 = 0x636f636b70697401 // "cockpit" 0x01

// migrateTimeout bounds a whole migration, the wait for another cockpit's
// lock included.
const migrateTimeout = 2 * time.Minute

// Migrate creates or upgrades the shared timeline's schema at dbURL. It is
// idempotent; run it as the migrating role (see the package doc).
func Migrate(ctx context.Context, dbURL string) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return fmt.Errorf("migrating shared timeline: %w", err)
	}
	defer func() { _ = db.Close() }()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrating shared timeline: %w", err)
	}
	// Retry every second for a minute while another cockpit migrates.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrateLockID), lock.WithLockTimeout(1, 60))
	if err != nil {
		return fmt.Errorf("migrating shared timeline: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(versionTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// Migrations numbered below 00010 (the schema version view) are
		// added beside it in any order: a database at 10 without 00004
		// gets 00004 rather than goose's "missing migrations" error.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return fmt.Errorf("migrating shared timeline: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating shared timeline: %w", err)
	}
	return nil
}
